"""digitalocean-database-restricted (a stack policy): "anywhere" however the sources are split
(the shared lib.networks.covers_anywhere), a stack rule's exception by resource name, and whole
stacks.

A program builds ``DatabaseFirewall(cluster_id=cluster.id)``: the firewall's ``clusterId`` is
the cluster's id (unknown during preview while the cluster is not created) and depends on the
cluster. Known and unknown ids are both tested.
"""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..fixtures_cloud import (
    APP_DB,
    APP_DB_FIREWALL,
    BASELINE,
    database,
    database_firewall,
    depends,
    no_dependencies,
    protected,
    swap,
    with_properties,
    without,
)
from ..harness import (
    RuleCases,
    StackCase,
    excepted,
    fails,
    passes,
    policy_of,
    stack_fails,
    stack_passes,
    stack_unknown,
)

POLICY = policy_of(__name__)
VPC = {"privateNetworkUuid": "vpc-1"}
TRUSTED = [{"type": "ip_addr", "value": "198.51.100.7"}, {"type": "tag", "value": "web"}]


def trusting(name: str, *sources: str) -> Any:
    return database_firewall(
        name, clusterId="db-1", rules=[{"type": "ip_addr", "value": s} for s in sources]
    )


def open_cluster(name: str) -> tuple[str, str]:
    return (
        name,
        f"Database cluster {name} sets no privateNetworkUuid and no DatabaseFirewall of the "
        "stack gives it trusted sources.",
    )


def open_firewall(name: str, sources: str) -> tuple[str, str]:
    return name, f"Database firewall {name} trusts {sources}, the whole internet."


NO_VPC = with_properties(APP_DB, privateNetworkUuid=None)
EMPTY_VPC = with_properties(APP_DB, privateNetworkUuid="")

# The cloud baseline with one thing changed; the whole pack's diagnostics are these.
VIOLATION_KINDS = [
    stack_passes("pass_baseline", BASELINE),
    stack_passes("pass_firewall_alone_restricts_a_cluster_outside_a_vpc", swap(BASELINE, NO_VPC)),
    stack_fails(
        "fail_no_vpc_no_firewall",
        without(swap(BASELINE, NO_VPC), "app-db-fw"),
        open_cluster("app-db"),
    ),
    stack_passes("pass_empty_vpc_but_firewall", swap(BASELINE, EMPTY_VPC)),
    stack_fails(
        "fail_empty_vpc_no_firewall",
        without(swap(BASELINE, EMPTY_VPC), "app-db-fw"),
        open_cluster("app-db"),
    ),
    stack_fails(
        "fail_firewall_without_rules",
        swap(BASELINE, NO_VPC, with_properties(APP_DB_FIREWALL, rules=[])),
        open_cluster("app-db"),
    ),
    stack_fails(
        "fail_firewall_for_another_cluster",
        swap(
            BASELINE,
            NO_VPC,
            no_dependencies(with_properties(APP_DB_FIREWALL, clusterId="db-2")),
        ),
        open_cluster("app-db"),
    ),
    stack_fails(
        "fail_firewall_trusts_anywhere_even_in_a_vpc",
        swap(
            BASELINE,
            with_properties(
                APP_DB_FIREWALL, rules=[*TRUSTED, {"type": "ip_addr", "value": "0.0.0.0/0"}]
            ),
        ),
        open_firewall("app-db-fw", "0.0.0.0/0"),
    ),
    stack_fails(
        "fail_firewall_trusts_anywhere_reported_once",
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
        open_firewall("app-db-fw", "0.0.0.0/0, ::/0"),
    ),
    # Each violation names the resource in violation.
    stack_fails(
        "fail_violations_carry_the_offending_resource",
        [
            *swap(
                BASELINE,
                with_properties(APP_DB_FIREWALL, rules=[{"type": "ip_addr", "value": "::/0"}]),
            ),
            protected(database("other-db")),
        ],
        open_firewall("app-db-fw", "::/0"),
        open_cluster("other-db"),
    ),
    stack_unknown(
        "unknown_cluster_id_without_dependency_in_the_baseline",
        swap(
            BASELINE,
            protected(database("c", id=UNKNOWN)),
            database_firewall("f", clusterId=UNKNOWN, rules=TRUSTED),
        ),
        ".clusterId",
    ),
]


def _fixture_stacks() -> list[StackCase]:
    """Small stacks on top of the cloud baseline, known and unknown ids."""
    new = protected(database("c", id=UNKNOWN))
    existing = protected(database("c", id="db-9"))
    other = protected(database("o", id=UNKNOWN, privateNetworkUuid="vpc-1"))
    unknown_owner = database_firewall("f0", clusterId=UNKNOWN, rules=TRUSTED)

    def on_baseline(*extra: Any) -> list[Any]:
        return swap(BASELINE, *extra)

    return [
        stack_passes(
            "pass_vpc_no_firewall",
            on_baseline(protected(database("c", privateNetworkUuid="vpc-2"))),
        ),
        stack_passes(
            "pass_vpc_created_in_same_update",
            on_baseline(protected(database("c", id=UNKNOWN, privateNetworkUuid=UNKNOWN))),
        ),
        stack_passes(
            "pass_firewall_for_new_cluster",
            on_baseline(
                new,
                depends(database_firewall("f", clusterId=UNKNOWN, rules=TRUSTED), clusterId=[new]),
            ),
        ),
        stack_passes(
            "pass_firewall_literal_id",
            on_baseline(existing, database_firewall("f", clusterId="db-9", rules=TRUSTED)),
        ),
        stack_passes(
            "pass_rule_values_not_read_unless_addresses",
            on_baseline(
                new,
                depends(
                    database_firewall(
                        "f", clusterId=UNKNOWN, rules=[{"type": "droplet", "value": UNKNOWN}]
                    ),
                    clusterId=[new],
                ),
            ),
        ),
        stack_passes(
            "pass_unresolvable_firewall_but_another_covers",
            on_baseline(
                existing, unknown_owner, database_firewall("f", clusterId="db-9", rules=TRUSTED)
            ),
        ),
        stack_fails(
            "fail_small_no_vpc_no_firewall",
            on_baseline(protected(database("c"))),
            open_cluster("c"),
        ),
        stack_fails(
            "fail_firewall_for_another_new_cluster",
            on_baseline(
                other,
                new,
                depends(
                    database_firewall("f", clusterId=UNKNOWN, rules=TRUSTED), clusterId=[other]
                ),
            ),
            open_cluster("c"),
        ),
        stack_fails(
            "fail_firewall_literal_other_id",
            on_baseline(existing, database_firewall("f", clusterId="db-8", rules=TRUSTED)),
            open_cluster("c"),
        ),
        stack_fails(
            "fail_new_cluster_against_literal_id",
            on_baseline(new, database_firewall("f", clusterId="db-9", rules=TRUSTED)),
            open_cluster("c"),
        ),
        stack_fails(
            "fail_firewall_trusts_anywhere",
            on_baseline(
                existing,
                database_firewall(
                    "f", clusterId="db-9", rules=[{"type": "ip_addr", "value": "::/0"}]
                ),
            ),
            open_firewall("f", "::/0"),
        ),
        stack_fails(
            "fail_new_cluster_firewall_without_rules",
            on_baseline(
                new,
                depends(database_firewall("f", clusterId=UNKNOWN, rules=[]), clusterId=[new]),
            ),
            open_cluster("c"),
        ),
        stack_unknown(
            "unknown_cluster_id_without_dependency",
            on_baseline(new, unknown_owner),
            ".clusterId",
        ),
        stack_unknown(
            "unknown_rules",
            on_baseline(
                new,
                depends(database_firewall("f", clusterId=UNKNOWN, rules=UNKNOWN), clusterId=[new]),
            ),
            ".rules",
        ),
        stack_unknown(
            "unknown_rule_type",
            on_baseline(
                existing,
                database_firewall("f", clusterId="db-9", rules=[{"type": UNKNOWN, "value": "x"}]),
            ),
            ".rules.0.type",
        ),
        stack_unknown(
            "unknown_address",
            on_baseline(
                existing,
                database_firewall(
                    "f", clusterId="db-9", rules=[{"type": "ip_addr", "value": UNKNOWN}]
                ),
            ),
            ".rules.0.value",
        ),
    ]


def _analyzed_together() -> StackCase:
    """The known pass_/fail_ fixtures in one stack with the baseline."""
    new = protected(database("pass_new_with_firewall", id=UNKNOWN))
    return stack_fails(
        "fail_fixture_resources_analyzed_together",
        [
            *BASELINE,
            protected(database("pass_in_vpc", privateNetworkUuid="vpc-2")),
            new,
            depends(database_firewall("fw_new", clusterId=UNKNOWN, rules=TRUSTED), clusterId=[new]),
            protected(database("pass_existing_with_firewall", id="db-9")),
            database_firewall("fw_existing", clusterId="db-9", rules=TRUSTED),
            protected(database("fail_open", id="db-7")),
            database_firewall("fw_other", clusterId="db-6", rules=TRUSTED),
            database_firewall(
                "fail_fw_anywhere",
                clusterId="db-9",
                rules=[{"type": "ip_addr", "value": "0.0.0.0/0"}],
            ),
        ],
        open_cluster("fail_open"),
        open_firewall("fail_fw_anywhere", "0.0.0.0/0"),
    )


CASES = RuleCases(
    config={"exceptions": {"except_fw_open_on_purpose": "public read replica, TLS-only"}},
    cases=[
        passes(database("pass_in_vpc", **VPC)),
        passes(trusting("pass_fw_office", "198.51.100.0/24")),
        passes(trusting("pass_fw_half_v4", "0.0.0.0/1")),
        fails(
            trusting("fail_fw_anywhere", "198.51.100.7", "0.0.0.0/0"),
            "Database firewall fail_fw_anywhere trusts 0.0.0.0/0, the whole internet.",
        ),
        fails(
            trusting("fail_fw_split_v4", "0.0.0.0/1", "128.0.0.0/1"),
            "Database firewall fail_fw_split_v4 trusts 0.0.0.0/1, 128.0.0.0/1, the whole internet.",
        ),
        fails(
            trusting("fail_fw_split_v6", "::/1", "8000::/1", "tag-web"),
            "Database firewall fail_fw_split_v6 trusts ::/1, 8000::/1, the whole internet.",
        ),
        excepted(
            trusting("except_fw_open_on_purpose", "0.0.0.0/0"),
            "public read replica, TLS-only",
            f"policy config {POLICY}.exceptions",
            "Database firewall except_fw_open_on_purpose trusts 0.0.0.0/0, the whole internet.",
        ),
        fails(
            database("fail_cluster_unguarded"),
            "Database cluster fail_cluster_unguarded sets no privateNetworkUuid and no "
            "DatabaseFirewall of the stack gives it trusted sources.",
        ),
    ],
    stacks=[*VIOLATION_KINDS, *_fixture_stacks(), _analyzed_together()],
)
