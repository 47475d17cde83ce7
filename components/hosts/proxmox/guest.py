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
- A rebuild deletes the old container first: its ``vmId`` is fixed in config, and Proxmox
  refuses a second container with the same id. The provider's id *is* the vmid (bpg
  container.go ``d.SetId(strconv.Itoa(vmID))``), so it stays the same across a rebuild; what
  changes is the interface's MAC, which the program leaves unset, Proxmox draws at random for
  every new container (pve-container src/PVE/LXC/Config.pm ``parse_lxc_network``:
  ``random_ether_addr``) and the provider reads back (``rebuild_marker``). Steps that must run
  again on a new container (Docker's install, the readiness) trigger on it.
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
    # A value new with every container (its MAC, see the module): what a rebuild changes.
    rebuild_marker: pulumi.Output[str]

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
                # The vmId is fixed: the old container must go before the new one is made.
                delete_before_replace=True,
            ),
        )
        self.rebuild_marker = self.container.network_interfaces.apply(_first_mac)
        after_container = pulumi.ResourceOptions(parent=self, depends_on=[self.container])
        keys = container_keys_script(service.vmId, args.ssh_keys)
        # A rebuilt container boots with the keys and disk size of its first creation (both are
        # ignore_changes: the engine keeps their recorded values): set them again on a new one.
        self.ssh_keys = command.remote.Command(
            names.child(name, names.SSH_KEYS),
            connection=args.connection,
            create=keys,
            update=keys,
            triggers=[self.rebuild_marker],
            opts=after_container,
        )
        disk = container_disk_script(service.vmId, service.diskGb)
        self.disk = command.remote.Command(
            names.child(name, names.DISK),
            connection=args.connection,
            create=disk,
            update=disk,
            triggers=[self.rebuild_marker],
            opts=after_container,
        )
        self.register_outputs({"address": self.address})


def _first_mac(
    interfaces: Sequence[proxmoxve.outputs.ContainerLegacyNetworkInterface] | None,
) -> str:
    """The MAC Proxmox gave the container's interface (read back by the provider)."""
    mac = interfaces[0].mac_address if interfaces else None
    return mac or ""
