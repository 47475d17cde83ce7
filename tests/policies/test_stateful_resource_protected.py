"""stateful-resource-protected, through the pack process and the analyzer protocol."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.plan.policy_runner import PolicyPackProcess
from components.plan.recording import RecordedResource

from .conftest import (
    PGDATA_VOLUME,
    UNKNOWN,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)
from .fixtures_cloud import (
    APP_DB,
    APP_VOLUME,
    BASELINE,
    DO_DATABASE,
    DO_VOLUME,
    DOCKER_NETWORK,
    HCLOUD_VOLUME,
    NODE_VOLUME,
    database,
    docker_volume,
    protected,
    swap,
)

POLICY = "stateful-resource-protected"
DESCRIPTION = (
    "Volumes and database clusters are protected so their data survives `pulumi destroy` "
    "and replacement: the protect resource option, or the provider's delete protection."
)
DB_VOLUME_POLICY = "docker-container-database-volume-protected"
DB_VOLUME_DESCRIPTION = (
    "Database containers keep their data in a named volume declared in the stack as a "
    "protected docker.Volume (or in a host directory), never only in the container."
)


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def unprotected(item: RecordedResource) -> RecordedResource:
    return replace(item, protect=False)


def hcloud_volume(name: str, **props: object) -> RecordedResource:
    return resource(HCLOUD_VOLUME, name, {"name": name, "size": 20, **props})


def test_baseline_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check(BASELINE) == []


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        pytest.param(
            unprotected(PGDATA_VOLUME),
            [
                violation("Docker volume pgdata does not set the protect resource option."),
                (
                    DB_VOLUME_POLICY,
                    "mandatory",
                    f"{DB_VOLUME_DESCRIPTION}\nContainer db mounts volume pgdata, whose "
                    "docker.Volume pgdata is not protected.",
                ),
            ],
            id="docker-volume-also-fails-the-database-container-rule",
        ),
        pytest.param(
            unprotected(APP_VOLUME),
            [violation("DigitalOcean volume app-data does not set the protect resource option.")],
            id="digitalocean-volume",
        ),
        pytest.param(
            unprotected(APP_DB),
            [
                violation(
                    "DigitalOcean database cluster app-db does not set the protect resource option."
                )
            ],
            id="digitalocean-database-cluster",
        ),
        pytest.param(
            replace(NODE_VOLUME, properties=hcloud_volume("x", deleteProtection=False).properties),
            [
                violation(
                    "Hetzner Cloud volume node-data sets neither the protect resource option "
                    "nor deleteProtection."
                )
            ],
            id="hcloud-volume-delete-protection-false",
        ),
        pytest.param(
            replace(NODE_VOLUME, properties=hcloud_volume("x").properties),
            [
                violation(
                    "Hetzner Cloud volume node-data sets neither the protect resource option "
                    "nor deleteProtection."
                )
            ],
            id="hcloud-volume-delete-protection-missing",
        ),
    ],
)
def test_each_violation_kind(
    pack: PolicyPackProcess, changed: RecordedResource, expected: list[tuple[str, str, str]]
) -> None:
    assert diagnostics(pack.check(swap(BASELINE, changed))) == expected


def test_violation_carries_the_resource_urn(pack: PolicyPackProcess) -> None:
    found = pack.check(swap(BASELINE, unprotected(APP_VOLUME)))
    assert [v.urn for v in found] == [APP_VOLUME.urn]


def test_unknown_delete_protection_is_not_run(pack: PolicyPackProcess) -> None:
    changed = replace(
        NODE_VOLUME, properties=hcloud_volume("x", deleteProtection=UNKNOWN).properties
    )
    assert diagnostics(pack.check(swap(BASELINE, changed))) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .deleteProtection can't be known during "
            "preview",
        )
    ]


FIXTURES = [
    protected(docker_volume("pass_docker_volume", "data")),
    protected(resource(DO_VOLUME, "pass_do_volume", {"name": "v", "size": 10})),
    protected(database("pass_do_database")),
    protected(hcloud_volume("pass_hcloud_protected")),
    hcloud_volume("pass_hcloud_delete_protection", deleteProtection=True),
    # Protected: deleteProtection is never read, so its unknown value defers nothing.
    protected(hcloud_volume("pass_hcloud_protected_unknown_setting", deleteProtection=UNKNOWN)),
    resource(DOCKER_NETWORK, "pass_other_type_unprotected", {"name": "n", "driver": "bridge"}),
    docker_volume("fail_docker_volume", "data2"),
    resource(DO_VOLUME, "fail_do_volume", {"name": "v2", "size": 10}),
    resource(DO_DATABASE, "fail_do_database", {"name": "db2", "engine": "pg"}),
    hcloud_volume("fail_hcloud_volume"),
    hcloud_volume("fail_hcloud_delete_protection_false", deleteProtection=False),
    # Unprotected DigitalOcean resources have no setting to read: unknowns change nothing.
    resource(DO_VOLUME, "fail_do_volume_unknown_props", {"name": UNKNOWN, "size": UNKNOWN}),
    hcloud_volume("unknown_hcloud_delete_protection", deleteProtection=UNKNOWN),
]


def test_fixture_resources_analyzed_together(pack: PolicyPackProcess) -> None:
    found = pack.check([*BASELINE, *FIXTURES])
    names = [item.name for item in FIXTURES]
    assert violating_names(found, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(found, POLICY) == {n for n in names if n.startswith("unknown_")}
