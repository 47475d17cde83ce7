"""One service as an unprivileged LXC container on the NAT bridge, with Docker allowed inside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

import pulumi
import pulumi_proxmoxve as proxmoxve

from components.spec import GuestSpec


@dataclass(frozen=True)
class LxcServiceArgs:
    service: GuestSpec
    hostname: str
    node_name: str
    provider: proxmoxve.Provider
    template_file_id: pulumi.Input[str]
    os_type: str
    datastore: str
    bridge: str
    subnet: IPv4Network
    gateway: IPv4Address
    dns_servers: Sequence[IPv4Address]
    ssh_keys: Sequence[str]
    after: tuple[pulumi.Resource, ...] = ()


class LxcService(pulumi.ComponentResource):
    """An unprivileged container with nesting and keyctl on, which Docker inside needs."""

    container: proxmoxve.ContainerLegacy
    address: str

    def __init__(
        self, name: str, args: LxcServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:proxmox:LxcService", name, None, opts)
        service = args.service
        self.address = str(service.address)
        self.container = proxmoxve.ContainerLegacy(
            f"{name}-container",
            node_name=args.node_name,
            vm_id=service.vmId,
            description=service.description,
            unprivileged=True,
            features=proxmoxve.ContainerLegacyFeaturesArgs(nesting=True, keyctl=True),
            cpu=proxmoxve.ContainerLegacyCpuArgs(cores=service.cores),
            memory=proxmoxve.ContainerLegacyMemoryArgs(
                dedicated=service.memoryMb, swap=service.swapMb
            ),
            disk=proxmoxve.ContainerLegacyDiskArgs(
                datastore_id=args.datastore, size=service.diskGb
            ),
            operating_system=proxmoxve.ContainerLegacyOperatingSystemArgs(
                template_file_id=args.template_file_id, type=args.os_type
            ),
            # Only the private bridge: a guest on the uplink would show a second MAC there.
            network_interfaces=[
                proxmoxve.ContainerLegacyNetworkInterfaceArgs(name="eth0", bridge=args.bridge)
            ],
            initialization=proxmoxve.ContainerLegacyInitializationArgs(
                hostname=args.hostname,
                ip_configs=[
                    proxmoxve.ContainerLegacyInitializationIpConfigArgs(
                        ipv4=proxmoxve.ContainerLegacyInitializationIpConfigIpv4Args(
                            address=f"{service.address}/{args.subnet.prefixlen}",
                            gateway=str(args.gateway),
                        )
                    )
                ],
                dns=proxmoxve.ContainerLegacyInitializationDnsArgs(
                    servers=[str(server) for server in args.dns_servers]
                ),
                user_account=proxmoxve.ContainerLegacyInitializationUserAccountArgs(
                    keys=list(args.ssh_keys)
                ),
            ),
            start_on_boot=True,
            started=True,
            startup=proxmoxve.ContainerLegacyStartupArgs(order=service.startOrder),
            protection=service.stateful,
            tags=["selfhosted", "stateful" if service.stateful else "stateless"],
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.provider,
                depends_on=list(args.after),
                protect=service.stateful,
            ),
        )
        self.register_outputs({"address": self.address})
