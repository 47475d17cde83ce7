"""One service as an unprivileged LXC container on the NAT bridge, with Docker allowed inside.

Day-2 rules (sources in docs/proxmox.md and tests/provider_facts/):
- Only ``nesting`` is set: an API token may set nesting, every other feature flag is
  root@pam-only, and Docker runs without ``keyctl`` (runc ignores ENOSYS from keyctl, which is
  what Proxmox's seccomp profile returns in an unprivileged container).
- Fields the provider replaces a container for (SSH keys, template) are only used at creation
  and ignored after; keys are then managed by a host step, and a rebuild is an explicit
  ``pulumi up --replace``.
- The root disk grows with ``pct resize`` over SSH, which works on a protected container,
  where the provider's own update fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

import pulumi
import pulumi_command as command
import pulumi_proxmoxve as proxmoxve

from components import names
from components.render.proxmox_steps import container_disk_script, container_keys_script
from components.spec import GuestSpec

# Engine property paths (camelCase, as the provider schema names them) the container keeps
# from its creation. Each is ForceNew or root-only in the provider; see CONTAINER_FORCE_NEW in
# tests/provider_facts/force_new.py for the source lines.
CONTAINER_IGNORED_AFTER_CREATE: tuple[str, ...] = (
    # ForceNew: keys and password; managed by the `-ssh-keys` step instead.
    "initialization.userAccount",
    # ForceNew: a template is only read when the container is created; rebuild explicitly.
    "operatingSystem.templateFileId",
    # A size change makes the provider PUT `rootfs`, which a protected container refuses;
    # grown by the `-disk` step instead (a shrink would even be ForceNew).
    "disk.size",
    # The provider sends every flag on an update; flags other than nesting are root@pam-only,
    # so an adopted container with keyctl=1 would make every update fail with a token.
    "features.keyctl",
    "features.fuse",
    "features.mknod",
    "features.mounts",
)


@dataclass(frozen=True)
class LxcServiceArgs:
    service: GuestSpec
    hostname: str
    node_name: str
    provider: proxmoxve.Provider
    connection: command.remote.ConnectionArgs
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
    """An unprivileged container with nesting on (Docker inside), keys and disk kept by SSH."""

    container: proxmoxve.ContainerLegacy
    ssh_keys: command.remote.Command
    disk: command.remote.Command
    address: str

    def __init__(
        self, name: str, args: LxcServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:proxmox:LxcService", name, None, opts)
        service = args.service
        self.address = str(service.address)
        self.container = proxmoxve.ContainerLegacy(
            names.child(name, names.CONTAINER),
            node_name=args.node_name,
            vm_id=service.vmId,
            description=service.description,
            unprivileged=True,
            features=proxmoxve.ContainerLegacyFeaturesArgs(nesting=True),
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
                # The first boot already has the keys; later changes go through `ssh_keys`.
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
                ignore_changes=list(CONTAINER_IGNORED_AFTER_CREATE),
            ),
        )
        after_container = pulumi.ResourceOptions(parent=self, depends_on=[self.container])
        keys = container_keys_script(service.vmId, args.ssh_keys)
        self.ssh_keys = command.remote.Command(
            names.child(name, names.SSH_KEYS),
            connection=args.connection,
            create=keys,
            update=keys,
            opts=after_container,
        )
        disk = container_disk_script(service.vmId, service.diskGb)
        self.disk = command.remote.Command(
            names.child(name, names.DISK),
            connection=args.connection,
            create=disk,
            update=disk,
            opts=after_container,
        )
        self.register_outputs({"address": self.address})
