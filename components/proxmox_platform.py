"""A Proxmox host (seed 000): the node, its NAT bridge, its LXC guests and their Docker engines."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_command as command

from components.derive import nat_plan, topology
from components.derive.topology import engine_networks
from components.docker_engine import DockerEngine, DockerEngineArgs
from components.lxc_service import LxcService, LxcServiceArgs
from components.nat_bridge import NatBridge, NatBridgeArgs
from components.proxmox_node import ProxmoxNode, ProxmoxNodeArgs
from components.render.docker_install import guest_docker_install_script, pct_exec_command
from components.render.engine_access import guest_host_key_script
from components.render.readiness import Readiness, readiness_command
from components.render.ssh_config import SshHost
from components.spec import PlatformSpec, ProxmoxHostSpec


@dataclass(frozen=True)
class ProxmoxPlatformArgs:
    spec: PlatformSpec
    host: str  # the name under platform:hosts
    api_token: pulumi.Input[str]
    ssh_private_key: pulumi.Input[str]
    project_dir: str = "."
    stack: str = "stack"


class ProxmoxPlatform(pulumi.ComponentResource):
    node: ProxmoxNode
    nat: NatBridge
    guests: dict[str, LxcService]
    engines: dict[str, DockerEngine]

    def __init__(
        self, name: str, args: ProxmoxPlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:platform:ProxmoxPlatform", name, None, opts)
        spec = args.spec
        host = spec.hosts[args.host]
        assert isinstance(host, ProxmoxHostSpec)
        child = pulumi.ResourceOptions(parent=self)
        self.node = ProxmoxNode(
            name, ProxmoxNodeArgs(host, args.api_token, args.ssh_private_key), child
        )
        plan = nat_plan(spec, args.host)
        self.nat = NatBridge(
            f"{name}-nat",
            NatBridgeArgs(
                plan=plan,
                node_name=host.nodeName,
                provider=self.node.provider,
                connection=self.node.connection,
                guest_host_ports=frozenset(host.guestManagementPorts),
                after=(self.node.prepared,),
            ),
            child,
        )
        self.guests = {
            guest_name: LxcService(
                f"{name}-{guest_name}",
                LxcServiceArgs(
                    service=guest,
                    hostname=spec.hostname_of(guest_name),
                    node_name=host.nodeName,
                    provider=self.node.provider,
                    connection=self.node.connection,
                    template_file_id=self.node.template_file_id,
                    os_type=host.template.osType,
                    datastore=host.containerDatastore,
                    bridge=plan.bridge,
                    subnet=plan.subnet,
                    gateway=plan.gateway,
                    dns_servers=host.dnsServers,
                    ssh_keys=spec.adminSshKeys,
                    # The bridge, the storage merge and the storage's `rootdir` content.
                    after=(self.nat.bridge, *self.node.container_prerequisites),
                ),
                child,
            )
            for guest_name, guest in spec.guests_of(args.host).items()
        }
        jump = SshHost(
            alias=name,
            hostname=str(host.ssh_host),
            user=host.sshUser,
            host_keys=(host.sshHostKey,) if host.sshHostKey else (),
        )
        self.engines = {}
        for engine in topology(spec).engines_on(args.host):
            guest = spec.guests[engine.machine]
            # Guests have no cloud-init: Docker is installed through the host with `pct exec`.
            install = command.remote.Command(
                f"{name}-{engine.machine}-docker",
                connection=self.node.connection,
                create=pct_exec_command(guest.vmId, guest_docker_install_script()),
                update=pct_exec_command(guest.vmId, guest_docker_install_script()),
                # A rebuilt guest (new container id) has no Docker yet: install again.
                triggers=[self.guests[engine.machine].container.id],
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[self.guests[engine.machine].container]
                ),
            )
            ready = guest_host_key_script() + readiness_command(
                Readiness(wait_for_cloud_init=False)
            )
            self.engines[engine.machine] = DockerEngine(
                f"{name}-{engine.machine}-engine",
                DockerEngineArgs(
                    alias=f"{name}-{engine.machine}",
                    hostname=str(guest.address),
                    user="root",
                    host_key=None,
                    jump=jump,
                    private_key=args.ssh_private_key,
                    readiness_connection=self.node.connection,
                    readiness_script=pct_exec_command(guest.vmId, ready),
                    project_dir=args.project_dir,
                    stack=args.stack,
                    networks=engine_networks(spec, engine.machine),
                    after=(install,),
                    machine_id=self.guests[engine.machine].container.id,
                ),
                child,
            )
        self.register_outputs(
            {"guests": {name: guest.address for name, guest in self.guests.items()}}
        )
