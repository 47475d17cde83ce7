"""digitalocean-database-restricted: "anywhere" however the sources are split (the shared
lib.networks.covers_anywhere), and a stack rule's exception by resource name."""

from __future__ import annotations

from typing import Any

from ..fixtures_cloud import database, database_firewall, depends
from ..harness import RuleCases, excepted, fails, passes, policy_of

POLICY = policy_of(__name__)
VPC = {"privateNetworkUuid": "vpc-1"}


def trusting(name: str, *sources: str) -> Any:
    return database_firewall(
        name, clusterId="db-1", rules=[{"type": "ip_addr", "value": s} for s in sources]
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
)
_ = depends  # the fixtures module's helpers; the firewalls above name the cluster by id only
