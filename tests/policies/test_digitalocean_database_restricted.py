"""digitalocean-database-restricted (a stack policy), through the pack process.

A program builds ``DatabaseFirewall(cluster_id=cluster.id)``: the firewall's ``clusterId`` is
the cluster's id (unknown during preview while the cluster is not created) and depends on the
cluster. Known and unknown ids are both tested.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess, struct_from
from components.plan.recording import RecordedResource

from .conftest import UNKNOWN, diagnostics, not_run_prefix, violating_names
from .fixtures_cloud import (
    APP_DB,
    APP_DB_FIREWALL,
    BASELINE,
    database,
    database_firewall,
    depends,
    outcomes,
    protected,
    swap,
    without,
)

POLICY = "digitalocean-database-restricted"
DESCRIPTION = (
    "DigitalOcean database clusters are not open to the whole internet: they are placed "
    "in a VPC or have a database firewall with trusted sources."
)
TRUSTED = [{"type": "ip_addr", "value": "198.51.100.7"}, {"type": "tag", "value": "web"}]


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def open_cluster(name: str) -> tuple[str, str, str]:
    return violation(
        f"Database cluster {name} sets no privateNetworkUuid and no DatabaseFirewall of the "
        "stack gives it trusted sources."
    )


def open_firewall(name: str, sources: str) -> tuple[str, str, str]:
    return violation(f"Database firewall {name} trusts {sources}, the whole internet.")


def with_properties(item: RecordedResource, **changes: Any) -> RecordedResource:
    """``item`` with changed top-level properties (None removes one); options kept."""
    properties = {k: v for k, v in {**item.inputs, **changes}.items() if v is not None}
    return replace(item, properties=struct_from(properties))


NO_VPC = with_properties(APP_DB, privateNetworkUuid=None)


def test_baseline_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check(BASELINE) == []


def test_firewall_alone_restricts_a_cluster_outside_a_vpc(pack: PolicyPackProcess) -> None:
    assert pack.check(swap(BASELINE, NO_VPC)) == []


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        pytest.param(
            without(swap(BASELINE, NO_VPC), "app-db-fw"),
            [open_cluster("app-db")],
            id="no-vpc-no-firewall",
        ),
        pytest.param(
            swap(BASELINE, with_properties(APP_DB, privateNetworkUuid="")),
            [],
            id="empty-vpc-but-firewall-passes",
        ),
        pytest.param(
            without(swap(BASELINE, with_properties(APP_DB, privateNetworkUuid="")), "app-db-fw"),
            [open_cluster("app-db")],
            id="empty-vpc-no-firewall",
        ),
        pytest.param(
            swap(BASELINE, NO_VPC, with_properties(APP_DB_FIREWALL, rules=[])),
            [open_cluster("app-db")],
            id="firewall-without-rules",
        ),
        pytest.param(
            swap(
                BASELINE,
                NO_VPC,
                replace(
                    with_properties(APP_DB_FIREWALL, clusterId="db-2"),
                    property_dependencies={},
                    dependencies=[],
                ),
            ),
            [open_cluster("app-db")],
            id="firewall-for-another-cluster",
        ),
        pytest.param(
            swap(
                BASELINE,
                with_properties(
                    APP_DB_FIREWALL, rules=[*TRUSTED, {"type": "ip_addr", "value": "0.0.0.0/0"}]
                ),
            ),
            [open_firewall("app-db-fw", "0.0.0.0/0")],
            id="firewall-trusts-anywhere-even-in-a-vpc",
        ),
        pytest.param(
            swap(
                BASELINE,
                NO_VPC,
                with_properties(
                    APP_DB_FIREWALL,
                    rules=[
                        {"type": "ip_addr", "value": "0.0.0.0/0"},
                        {"type": "ip_addr", "value": "::/0"},
                    ],
                ),
            ),
            [open_firewall("app-db-fw", "0.0.0.0/0, ::/0")],
            id="firewall-trusts-anywhere-reported-once",
        ),
    ],
)
def test_each_violation_kind(
    pack: PolicyPackProcess, stack: list[RecordedResource], expected: list[tuple[str, str, str]]
) -> None:
    assert diagnostics(pack.check(stack)) == expected


def test_violations_carry_the_offending_urn(pack: PolicyPackProcess) -> None:
    wide = with_properties(APP_DB_FIREWALL, rules=[{"type": "ip_addr", "value": "::/0"}])
    other = protected(database("other-db"))
    found = pack.check([*swap(BASELINE, wide), other])
    assert [v.urn for v in found] == [wide.urn, other.urn]


def test_unknown_cluster_id_without_dependency_is_not_run(pack: PolicyPackProcess) -> None:
    stack = [
        protected(database("c", id=UNKNOWN)),
        database_firewall("f", clusterId=UNKNOWN, rules=TRUSTED),
    ]
    assert diagnostics(pack.check(swap(BASELINE, *stack))) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .clusterId can't be known during preview",
        )
    ]


def _stacks() -> dict[str, list[RecordedResource]]:
    new = protected(database("c", id=UNKNOWN))
    existing = protected(database("c", id="db-9"))
    other = protected(database("o", id=UNKNOWN, privateNetworkUuid="vpc-1"))
    unknown_owner = database_firewall("f0", clusterId=UNKNOWN, rules=TRUSTED)
    return {
        "pass_vpc_no_firewall": [protected(database("c", privateNetworkUuid="vpc-2"))],
        "pass_vpc_created_in_same_update": [
            protected(database("c", id=UNKNOWN, privateNetworkUuid=UNKNOWN))
        ],
        "pass_firewall_for_new_cluster": [
            new,
            depends(database_firewall("f", clusterId=UNKNOWN, rules=TRUSTED), clusterId=[new]),
        ],
        "pass_firewall_literal_id": [
            existing,
            database_firewall("f", clusterId="db-9", rules=TRUSTED),
        ],
        "pass_rule_values_not_read_unless_addresses": [
            new,
            depends(
                database_firewall(
                    "f", clusterId=UNKNOWN, rules=[{"type": "droplet", "value": UNKNOWN}]
                ),
                clusterId=[new],
            ),
        ],
        "pass_unresolvable_firewall_but_another_covers": [
            existing,
            unknown_owner,
            database_firewall("f", clusterId="db-9", rules=TRUSTED),
        ],
        "fail_no_vpc_no_firewall": [protected(database("c"))],
        "fail_firewall_for_another_new_cluster": [
            other,
            new,
            depends(database_firewall("f", clusterId=UNKNOWN, rules=TRUSTED), clusterId=[other]),
        ],
        "fail_firewall_literal_other_id": [
            existing,
            database_firewall("f", clusterId="db-8", rules=TRUSTED),
        ],
        "fail_new_cluster_against_literal_id": [
            new,
            database_firewall("f", clusterId="db-9", rules=TRUSTED),
        ],
        "fail_firewall_trusts_anywhere": [
            existing,
            database_firewall("f", clusterId="db-9", rules=[{"type": "ip_addr", "value": "::/0"}]),
        ],
        "fail_firewall_without_rules": [
            new,
            depends(database_firewall("f", clusterId=UNKNOWN, rules=[]), clusterId=[new]),
        ],
        "unknown_cluster_id_without_dependency": [new, unknown_owner],
        "unknown_rules": [
            new,
            depends(database_firewall("f", clusterId=UNKNOWN, rules=UNKNOWN), clusterId=[new]),
        ],
        "unknown_rule_type": [
            existing,
            database_firewall("f", clusterId="db-9", rules=[{"type": UNKNOWN, "value": "x"}]),
        ],
        "unknown_address": [
            existing,
            database_firewall("f", clusterId="db-9", rules=[{"type": "ip_addr", "value": UNKNOWN}]),
        ],
    }


STACKS = _stacks()


def test_fixture_stacks(pack: PolicyPackProcess) -> None:
    failing, not_run = outcomes(pack, POLICY, STACKS)
    assert failing == {n for n in STACKS if n.startswith("fail_")}
    assert not_run == {n for n in STACKS if n.startswith("unknown_")}


def test_fixture_resources_analyzed_together(pack: PolicyPackProcess) -> None:
    new = protected(database("pass_new_with_firewall", id=UNKNOWN))
    stack = [
        protected(database("pass_in_vpc", privateNetworkUuid="vpc-2")),
        new,
        depends(database_firewall("fw_new", clusterId=UNKNOWN, rules=TRUSTED), clusterId=[new]),
        protected(database("pass_existing_with_firewall", id="db-9")),
        database_firewall("fw_existing", clusterId="db-9", rules=TRUSTED),
        protected(database("fail_open", id="db-7")),
        database_firewall("fw_other", clusterId="db-6", rules=TRUSTED),
        database_firewall(
            "fail_fw_anywhere", clusterId="db-9", rules=[{"type": "ip_addr", "value": "0.0.0.0/0"}]
        ),
    ]
    found = pack.check([*BASELINE, *stack])
    assert violating_names(found, POLICY) == {
        item.name for item in stack if item.name.startswith("fail_")
    }
