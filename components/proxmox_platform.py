"""A whole Proxmox platform (seed 000): the node, its NAT bridge and one LXC per service."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.derive import nat_plan
from components.lxc_service import LxcService, LxcServiceArgs
from components.nat_bridge import NatBridge, NatBridgeArgs
from components.proxmox_node import ProxmoxNode, ProxmoxNodeArgs
from components.spec import PlatformSpec


@dataclass(frozen=True)
class ProxmoxPlatformArgs:
    spec: PlatformSpec
    api_token: pulumi.Input[str]
    ssh_private_key: pulumi.Input[str]


class ProxmoxPlatform(pulumi.ComponentResource):
    node: ProxmoxNode
    nat: NatBridge
    services: dict[str, LxcService]

    def __init__(
        self, name: str, args: ProxmoxPlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:platform:ProxmoxPlatform", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        self.node = ProxmoxNode(
            spec.host.name,
            ProxmoxNodeArgs(spec.host, args.api_token, args.ssh_private_key),
            child,
        )
        plan = nat_plan(spec)
        self.nat = NatBridge(
            f"{spec.host.name}-nat",
            NatBridgeArgs(
                plan=plan,
                node_name=spec.host.nodeName,
                provider=self.node.provider,
                connection=self.node.connection,
                after=(self.node.prepared,),
            ),
            child,
        )
        self.services = {
            service_name: LxcService(
                service_name,
                LxcServiceArgs(
                    service=service,
                    hostname=spec.hostname_of(service_name),
                    node_name=spec.host.nodeName,
                    provider=self.node.provider,
                    connection=self.node.connection,
                    template_file_id=self.node.template_file_id,
                    os_type=spec.host.template.osType,
                    datastore=spec.host.containerDatastore,
                    bridge=plan.bridge,
                    subnet=plan.subnet,
                    gateway=plan.gateway,
                    dns_servers=spec.host.dnsServers,
                    ssh_keys=spec.containerSshKeys,
                    # The bridge, the storage merge and the storage's `rootdir` content.
                    after=(self.nat.bridge, *self.node.container_prerequisites),
                ),
                child,
            )
            for service_name, service in spec.services.items()
        }
        self.register_outputs(
            {"services": {name: svc.address for name, svc in self.services.items()}}
        )
