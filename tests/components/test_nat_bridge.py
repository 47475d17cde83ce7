"""NatBridge under mocks: a port-less bridge and its ruleset command."""

from __future__ import annotations

import pulumi_command as command
import pulumi_proxmoxve as proxmoxve

from components.derive import nat_plan
from components.hosts.proxmox.nat_bridge import NatBridge, NatBridgeArgs
from components.render import NAT_APPLY_SCRIPT, nat_ruleset
from tests.stacks import by_name, record, stack_spec

SPEC = stack_spec("prod")
PLAN = nat_plan(SPEC, "ax102")


def _declare() -> None:
    provider = proxmoxve.Provider("pve", endpoint="https://192.0.2.1:8006/")
    prepared = command.local.Command("prepared", create="true")
    NatBridge(
        "nat",
        NatBridgeArgs(
            plan=PLAN,
            node_name="ax102",
            provider=provider,
            connection=command.remote.ConnectionArgs(host="192.0.2.1", user="root"),
            after=(prepared,),
        ),
    )


def test_bridge_has_no_physical_ports_and_the_gateway_address() -> None:
    bridge = by_name(record(_declare))["nat-bridge"]
    assert bridge.type == "proxmoxve:network/linux/bridge:Bridge"
    assert bridge.inputs["name"] == "vmbr1"
    assert bridge.inputs["address"] == "10.0.0.1/24"
    assert bridge.inputs["ports"] == []
    assert bridge.inputs["autostart"] is True


def test_ruleset_travels_on_stdin_and_updates_in_place() -> None:
    resources = by_name(record(_declare))
    ruleset = resources["nat-ruleset"]
    assert ruleset.type == "command:remote:Command"
    assert ruleset.inputs["stdin"] == nat_ruleset(PLAN)
    assert ruleset.inputs["create"] == NAT_APPLY_SCRIPT
    assert ruleset.inputs["update"] == NAT_APPLY_SCRIPT
    assert "nft delete table ip platform_nat" in ruleset.inputs["delete"]
    assert ruleset.delete_before_replace is True
    assert set(ruleset.dependencies) == {resources["nat-bridge"].urn, resources["prepared"].urn}
    assert ruleset.parent == resources["nat"].urn


def test_management_ports_opened_to_guests_reach_the_ruleset() -> None:
    def program() -> None:
        NatBridge(
            "nat",
            NatBridgeArgs(
                plan=PLAN,
                node_name="ax102",
                provider=proxmoxve.Provider("pve", endpoint="https://192.0.2.1:8006/"),
                connection=command.remote.ConnectionArgs(host="192.0.2.1", user="root"),
                guest_host_ports=frozenset({8006}),
            ),
        )

    stdin = by_name(record(program))["nat-ruleset"].inputs["stdin"]
    assert stdin == nat_ruleset(PLAN, guest_host_ports=frozenset({8006}))
    assert 'iifname "vmbr1" tcp dport { 22, 3128 } counter reject with tcp reset' in stdin
