"""docker-container-database-volume-protected (a stack policy), through the pack process."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess
from components.plan.recording import RecordedResource

from .conftest import PGDATA, UNKNOWN, container, diagnostics, not_run_prefix, violating_names
from .fixtures_cloud import (
    BASELINE,
    docker_volume,
    outcomes,
    protected,
    swap,
    without,
)

POLICY = "docker-container-database-volume-protected"
DESCRIPTION = (
    "Database containers keep their data in a named volume declared in the stack as a "
    "protected docker.Volume (or in a host directory), never only in the container."
)
DATA_DIR = "/var/lib/postgresql/data"


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def no_storage(name: str, database: str, image: str) -> tuple[str, str, str]:
    return violation(
        f"Container {name} runs {database} ({image}) without a volume or host directory for "
        "its data; the data dies with the container."
    )


def named(volume: str, path: str = DATA_DIR) -> list[dict[str, Any]]:
    return [{"volumeName": volume, "containerPath": path}]


def test_baseline_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check(BASELINE) == []


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        pytest.param(
            without(BASELINE, "pgdata"),
            [
                violation(
                    f"Container db mounts volume {PGDATA}, which no docker.Volume in the "
                    "stack declares."
                )
            ],
            id="volume-not-declared",
        ),
        pytest.param(
            swap(BASELINE, container("db", volumes=None)),
            [no_storage("db", "PostgreSQL", "postgres:16.4")],
            id="no-volume",
        ),
        pytest.param(
            swap(BASELINE, container("db", volumes=[{"containerPath": DATA_DIR}])),
            [no_storage("db", "PostgreSQL", "postgres:16.4")],
            id="anonymous-volume",
        ),
        pytest.param(
            swap(
                BASELINE,
                container("db", volumes=None, mounts=[{"type": "volume", "target": DATA_DIR}]),
            ),
            [no_storage("db", "PostgreSQL", "postgres:16.4")],
            id="anonymous-volume-mount",
        ),
        pytest.param(
            swap(
                BASELINE,
                container("db", volumes=None, mounts=[{"type": "tmpfs", "target": DATA_DIR}]),
            ),
            [no_storage("db", "PostgreSQL", "postgres:16.4")],
            id="tmpfs-mount",
        ),
        pytest.param(
            swap(BASELINE, container("db", image="postgis/postgis:16-3.4", volumes=None)),
            [no_storage("db", "PostgreSQL", "postgis/postgis:16-3.4")],
            id="postgis-no-volume",
        ),
        pytest.param(
            swap(
                BASELINE,
                container(
                    "db",
                    mounts=[{"type": "volume", "source": "pgwal", "target": "/pgwal"}],
                ),
            ),
            [
                violation(
                    "Container db mounts volume pgwal, which no docker.Volume in the stack "
                    "declares."
                )
            ],
            id="second-volume-in-mounts-not-declared",
        ),
        pytest.param(
            [*BASELINE, docker_volume("pgdata-copy")],
            [
                (
                    "stateful-resource-protected",
                    "mandatory",
                    "Volumes and database clusters are protected so their data survives "
                    "`pulumi destroy` and replacement: the protect resource option, or the "
                    "provider's delete protection.\nDocker volume pgdata-copy does not set the "
                    "protect resource option.",
                ),
                violation(
                    f"Container db mounts volume {PGDATA}, whose docker.Volume pgdata-copy is "
                    "not protected."
                ),
            ],
            id="same-name-declared-twice-one-unprotected",
        ),
    ],
)
def test_each_violation_kind(
    pack: PolicyPackProcess, stack: list[RecordedResource], expected: list[tuple[str, str, str]]
) -> None:
    assert diagnostics(pack.check(stack)) == expected


def test_unknown_image_is_a_stack_wide_not_run_advisory(pack: PolicyPackProcess) -> None:
    # Other container policies read the image too; this asserts what this policy reports.
    stack = swap(BASELINE, container("db", image=UNKNOWN))
    found = [d for d in diagnostics(pack.check(stack)) if d[0] == POLICY]
    assert found == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .image can't be known during preview",
        )
    ]


HOST_DIR = [{"hostPath": "/srv/postgres", "containerPath": DATA_DIR}]

# Stacks analyzed one by one on top of the baseline (a stack-wide advisory names no resource).
STACKS: dict[str, list[RecordedResource]] = {
    "pass_host_directory_with_unknown_volume_name_elsewhere": [
        container("db", volumes=HOST_DIR),
        docker_volume("other", UNKNOWN),
    ],
    "pass_not_a_database_with_unknown_volumes": [
        container("web", image="nginx:1.27", volumes=UNKNOWN)
    ],
    "pass_protected_volume_with_unknown_driver": [
        protected(docker_volume("pgdata")),
        container("cache", image="redis:7.4", volumes=[{"volumeName": "pgdata"}]),
    ],
    "fail_no_volume": [container("db", volumes=None)],
    "fail_unprotected_volume": [docker_volume("pgdata")],
    "unknown_image": [container("db", image=UNKNOWN)],
    "unknown_volumes": [container("db", volumes=UNKNOWN)],
    "unknown_volume_name": [container("db", volumes=named(UNKNOWN))],
    "unknown_mount_type": [
        container("db", volumes=None, mounts=[{"type": UNKNOWN, "target": DATA_DIR}])
    ],
    "unknown_mount_source": [
        container(
            "db", volumes=None, mounts=[{"type": "volume", "source": UNKNOWN, "target": DATA_DIR}]
        )
    ],
    "unknown_declared_volume_name": [docker_volume("other", UNKNOWN)],
}


def test_fixture_stacks(pack: PolicyPackProcess) -> None:
    failing, not_run = outcomes(pack, POLICY, STACKS)
    assert failing == {n for n in STACKS if n.startswith("fail_")}
    assert not_run == {n for n in STACKS if n.startswith("unknown_")}


def test_fixture_resources_analyzed_together(pack: PolicyPackProcess) -> None:
    fixtures = [
        container("pass_postgres"),
        container(
            "pass_volume_mount",
            volumes=None,
            mounts=[{"type": "volume", "source": PGDATA, "target": DATA_DIR}],
        ),
        container(
            "pass_host_path",
            image="mysql:8.4",
            volumes=[{"hostPath": "/srv/mysql", "containerPath": "/var/lib/mysql"}],
        ),
        container(
            "pass_bind_mount",
            image="mongo:7",
            volumes=None,
            mounts=[{"type": "bind", "source": "/srv/mongo", "target": "/data/db"}],
        ),
        container("pass_not_a_database", image="nginx:1.27", volumes=None),
        container("pass_mosquitto", image="eclipse-mosquitto:2", volumes=None),
        container("pass_registry_and_digest", image="docker.io/library/postgres:16@sha256:ab"),
        protected(docker_volume("vol_valkey", "valkey-data")),
        container("pass_valkey", image="valkey/valkey:8", volumes=named("valkey-data", "/data")),
        container("fail_no_storage", volumes=None),
        container("fail_anonymous_volume", image="redis:7.4", volumes=[{"containerPath": "/d"}]),
        container(
            "fail_tmpfs",
            image="valkey/valkey:8",
            volumes=None,
            mounts=[{"type": "tmpfs", "target": "/data"}],
        ),
        container("fail_undeclared", image="mariadb:11", volumes=named("mariadb-data")),
        docker_volume("vol_influx", "influx-data"),
        container("fail_unprotected", image="influxdb:2.7", volumes=named("influx-data")),
        container(
            "fail_other_registry", image="ghcr.io/cloudnative-pg/postgresql:16", volumes=None
        ),
        docker_volume("vol_rabbit", "rabbit-data"),
        container(
            "fail_one_of_two_unprotected",
            image="rabbitmq:3-management",
            volumes=[*named(PGDATA), *named("rabbit-data", "/var/lib/rabbitmq")],
        ),
    ]
    found = pack.check([*BASELINE, *fixtures])
    assert violating_names(found, POLICY) == {
        item.name for item in fixtures if item.name.startswith("fail_")
    }
