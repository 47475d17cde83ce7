"""A Proxmox host (seed 000): the node, its NAT bridge, its LXC guests and their Docker engines."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_command as command

from components import names
from components.derive.plan import ProxmoxHostPlan
from components.docker.engine import DockerEngine, DockerEngineArgs, RegistryAuth
from components.hosts.proxmox.guest import LxcService, LxcServiceArgs
from components.hosts.proxmox.nat_bridge import NatBridge, NatBridgeArgs
from components.hosts.proxmox.node import ProxmoxNode, ProxmoxNodeArgs
from components.render.docker_install import guest_docker_install_script, pct_exec_command
from components.render.engine_access import guest_host_key_script
from components.render.host_exporter import host_node_exporter_script
from components.render.readiness import Readiness, readiness_command
from components.render.ssh_config import SshHost


@dataclass(frozen=True)
class ProxmoxPlatformArgs:
    plan: ProxmoxHostPlan
    api_token: pulumi.Input[str]
    ssh_private_key: pulumi.Input[str]
    project_dir: str = "."
    stack: str = "stack"
    # guest -> the credentials of the registries its engine pulls from
    registry_auth: Mapping[str, Sequence[RegistryAuth]] = field(default_factory=dict)


class ProxmoxPlatform(pulumi.ComponentResource):
    node: ProxmoxNode
    nat: NatBridge
    guests: dict[str, LxcService]
    engines: dict[str, DockerEngine]

    def __init__(
        self, name: str, args: ProxmoxPlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:platform:ProxmoxPlatform", name, None, opts)
        plan = args.plan
        host = plan.spec
        child = pulumi.ResourceOptions(parent=self)
        self.node = ProxmoxNode(
            name, ProxmoxNodeArgs(host, args.api_token, args.ssh_private_key), child
        )
        nat = plan.nat
        self.nat = NatBridge(
            names.child(name, names.NAT),
            NatBridgeArgs(
                plan=nat,
                node_name=host.nodeName,
                provider=self.node.provider,
                connection=self.node.connection,
                guest_host_ports=frozenset(host.guestManagementPorts),
                after=(self.node.prepared,),
            ),
            child,
        )
        if plan.node_exporter is not None:
            # Scraped by the monitoring guest on the bridge address, which must exist first.
            script = host_node_exporter_script(plan.node_exporter)
            command.remote.Command(
                names.child(name, names.NODE_EXPORTER),
                connection=self.node.connection,
                create=script,
                update=script,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.nat.bridge]),
            )
        self.guests = {
            guest.name: LxcService(
                guest.component,
                LxcServiceArgs(
                    service=guest.spec,
                    hostname=guest.hostname,
                    node_name=host.nodeName,
                    provider=self.node.provider,
                    connection=self.node.connection,
                    template_file_id=self.node.template_file_id,
                    os_type=host.template.osType,
                    datastore=host.containerDatastore,
                    bridge=nat.bridge,
                    subnet=nat.subnet,
                    gateway=nat.gateway,
                    dns_servers=host.dnsServers,
                    ssh_keys=plan.admin_keys,
                    # The bridge, the storage merge and the storage's `rootdir` content.
                    after=(self.nat.bridge, *self.node.container_prerequisites),
                ),
                child,
            )
            for guest in plan.guests
        }
        jump = SshHost(
            alias=name,
            hostname=str(host.ssh_host),
            user=host.sshUser,
            host_keys=(host.sshHostKey,) if host.sshHostKey else (),
        )
        self.engines = {}
        for guest in plan.guests:
            engine = guest.engine
            if engine is None:
                continue
            lxc = self.guests[guest.name]
            container = lxc.container
            # Guests have no cloud-init: Docker is installed through the host with `pct exec`.
            install = command.remote.Command(
                names.guest_docker_install(name, guest.name),
                connection=self.node.connection,
                create=pct_exec_command(guest.spec.vmId, guest_docker_install_script()),
                update=pct_exec_command(guest.spec.vmId, guest_docker_install_script()),
                # A rebuilt guest has no Docker yet: install again. The container's id is its
                # vmid, the same after a rebuild; its MAC is new (guest.py).
                triggers=[lxc.rebuild_marker],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[container]),
            )
            ready = guest_host_key_script() + readiness_command(
                Readiness(wait_for_cloud_init=False)
            )
            self.engines[guest.name] = DockerEngine(
                engine.name,
                DockerEngineArgs(
                    alias=engine.alias,
                    hostname=str(guest.spec.address),
                    user="root",
                    host_key=None,
                    jump=jump,
                    private_key=args.ssh_private_key,
                    readiness_connection=self.node.connection,
                    readiness_script=pct_exec_command(guest.spec.vmId, ready),
                    project_dir=args.project_dir,
                    stack=args.stack,
                    networks=engine.networks,
                    after=(install,),
                    machine_id=lxc.rebuild_marker,
                    registry_auth=args.registry_auth.get(guest.name, ()),
                    as_root=functools.partial(pct_exec_command, guest.spec.vmId),
                ),
                child,
            )
        self.register_outputs(
            {"guests": {name: guest.address for name, guest in self.guests.items()}}
        )
