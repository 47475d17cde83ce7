"""The private routed-NAT bridge and its nftables ruleset on the Proxmox host."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_command as command
import pulumi_proxmoxve as proxmoxve

from components import names
from components.derive import NatPlan
from components.render import NAT_APPLY_SCRIPT, NAT_DIR, nat_ruleset


@dataclass(frozen=True)
class NatBridgeArgs:
    plan: NatPlan
    node_name: str
    provider: proxmoxve.Provider
    connection: command.remote.ConnectionArgs
    # Resources that must exist first, such as the host preparation (ip_forward, boot unit).
    after: tuple[pulumi.Resource, ...] = ()
    # Host management ports (of 22, 8006, 3128) that guests may reach; the rest are refused.
    guest_host_ports: frozenset[int] = frozenset()


class NatBridge(pulumi.ComponentResource):
    """A Linux bridge with no physical ports, masqueraded behind the uplink's address.

    Guests live here so the uplink only ever shows the host's own MAC address.
    """

    bridge: proxmoxve.network.linux.Bridge
    ruleset: command.remote.Command
    bridge_name: str
    ruleset_text: str

    def __init__(
        self, name: str, args: NatBridgeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:proxmox:NatBridge", name, None, opts)
        plan = args.plan
        self.bridge_name = plan.bridge
        self.bridge = proxmoxve.network.linux.Bridge(
            names.child(name, names.BRIDGE),
            node_name=args.node_name,
            name=plan.bridge,
            address=f"{plan.gateway}/{plan.subnet.prefixlen}",
            ports=[],
            autostart=True,
            comment=f"routed NAT for {plan.subnet} behind {plan.public_address}",
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.ruleset_text = nat_ruleset(plan, guest_host_ports=args.guest_host_ports)
        # The ruleset travels on stdin; the script checks it with `nft -c` before loading it,
        # and an unchanged text leaves the host untouched. `update` (not replace) keeps a
        # change from running the delete step after the new ruleset is in place.
        self.ruleset = command.remote.Command(
            names.child(name, names.RULESET),
            connection=args.connection,
            create=NAT_APPLY_SCRIPT,
            update=NAT_APPLY_SCRIPT,
            stdin=self.ruleset_text,
            delete=f"nft delete table ip {plan.table} || true; rm -f {NAT_DIR}/nat.nft",
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.bridge, *args.after], delete_before_replace=True
            ),
        )
        self.register_outputs({"bridgeName": self.bridge_name})
