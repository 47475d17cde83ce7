"""Build a whole stack from its spec: each host through the builder of its kind, then every
service on the Docker engine of its machine.

The registry ``HOST_BUILDERS`` is keyed by host kind; a builder declares the host and returns
the engines of its machines and the address where the host's forwards arrive.
"""

# ruff: noqa: PLC0415 -- builders import their host modules lazily (see below)

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from components.container_service import ContainerService
from components.derive import edge_openings, stack_policy_config, topology
from components.derive.topology import engine_networks
from components.docker_engine import DockerEngine
from components.service_args import container_service_args
from components.spec import (
    DropletHostSpec,
    HcloudHostSpec,
    PlatformSpec,
    ProxmoxHostSpec,
    SshHostSpec,
    config_path,
)

if TYPE_CHECKING:
    from components.droplet_host import DropletHost
    from components.hcloud_host import HcloudHost
    from components.server_bootstrap import ServerBootstrap

SecretReader = Callable[[str], pulumi.Output[str]]


@dataclass(frozen=True)
class StackContext:
    spec: PlatformSpec
    secret: SecretReader  # a dotted path under platform:secrets -> its value, as a secret
    project_dir: str
    stack: str


@dataclass
class BuiltHost:
    resource: pulumi.ComponentResource
    engines: dict[str, DockerEngine]
    public_address: pulumi.Input[str]
    config_paths: dict[str, str] = field(default_factory=dict)


# Each builder imports its host's modules when called: a stack imports the provider SDKs of its
# own host kinds only (a droplet stack never loads the Proxmox SDK), which the benchmark checks.


def _proxmox(name: str, context: StackContext) -> BuiltHost:
    from components.proxmox_platform import ProxmoxPlatform, ProxmoxPlatformArgs

    host = context.spec.hosts[name]
    assert isinstance(host, ProxmoxHostSpec)
    platform = ProxmoxPlatform(
        name,
        ProxmoxPlatformArgs(
            spec=context.spec,
            host=name,
            api_token=context.secret(f"{name}.apiToken"),
            ssh_private_key=context.secret(f"{name}.sshPrivateKey"),
            project_dir=context.project_dir,
            stack=context.stack,
        ),
    )
    paths = {
        f"{name}-nat-ruleset": config_path(("hosts", name)),
        f"{name}-nat-bridge": config_path(("hosts", name, "natBridge")),
    }
    for guest in platform.guests:
        paths[f"{name}-{guest}-container"] = config_path(("guests", guest))
    return BuiltHost(platform, platform.engines, str(host.publicAddress), paths)


def _bootstrap(name: str, admin_user: str, context: StackContext) -> ServerBootstrap:
    from components.server_bootstrap import ServerBootstrap

    return ServerBootstrap(
        hostname=name,
        admin_user=admin_user,
        admin_keys=context.spec.adminSshKeys,
        private_key=context.secret(f"{name}.sshPrivateKey"),
        project_dir=context.project_dir,
        stack=context.stack,
        networks=engine_networks(context.spec, name),
    )


def _cloud_server(name: str, context: StackContext) -> BuiltHost:
    """A server the program creates: a droplet or a Hetzner Cloud server."""
    host = context.spec.hosts[name]
    assert isinstance(host, DropletHostSpec | HcloudHostSpec)
    boot = _bootstrap(name, host.adminUser, context)
    openings = edge_openings(context.spec, name)
    server: DropletHost | HcloudHost
    if isinstance(host, DropletHostSpec):
        from components.droplet_host import DropletHost, DropletHostArgs

        server = DropletHost(name, DropletHostArgs(host=host, boot=boot, openings=openings))
    else:
        from components.hcloud_host import HcloudHost, HcloudHostArgs

        server = HcloudHost(name, HcloudHostArgs(host=host, boot=boot, openings=openings))
    paths = {f"{name}-{role}": config_path(("hosts", name)) for role in ("firewall", "server")}
    return BuiltHost(server, {name: server.engine}, server.public_address, paths)


def _ssh(name: str, context: StackContext) -> BuiltHost:
    from components.existing_server import ExistingServer, ExistingServerArgs

    host = context.spec.hosts[name]
    assert isinstance(host, SshHostSpec)
    server = ExistingServer(
        name,
        ExistingServerArgs(
            host=host,
            private_key=context.secret(f"{name}.sshPrivateKey"),
            project_dir=context.project_dir,
            stack=context.stack,
            networks=engine_networks(context.spec, name),
        ),
    )
    return BuiltHost(server, {name: server.engine}, server.public_address)


HOST_BUILDERS: dict[str, Callable[[str, StackContext], BuiltHost]] = {
    "proxmox": _proxmox,
    "droplet": _cloud_server,
    "hcloud": _cloud_server,
    "ssh": _ssh,
}


@dataclass
class BuiltStack:
    hosts: dict[str, BuiltHost]
    services: dict[str, ContainerService]
    config_paths: dict[str, str]


def build_stack(context: StackContext) -> BuiltStack:
    spec = context.spec
    hosts = {name: HOST_BUILDERS[host.kind](name, context) for name, host in spec.hosts.items()}
    placement = topology(spec)
    services: dict[str, ContainerService] = {}
    config_paths: dict[str, str] = {}
    for built in hosts.values():
        config_paths.update(built.config_paths)
    for name in spec.services:
        engine = placement.engine_of(name)
        host = hosts[engine.host]
        services[name] = ContainerService(
            name,
            container_service_args(
                spec, name, host.engines[engine.machine], host.public_address, context.secret
            ),
        )
        for role in ("container", "image"):
            config_paths[f"{name}-{role}"] = config_path(("services", name))
        for volume in spec.services[name].volumes:
            config_paths[f"{name}-{volume.name}"] = config_path(("services", name, "volumes"))
    return BuiltStack(hosts=hosts, services=services, config_paths=config_paths)


def export_stack_outputs(context: StackContext, built: BuiltStack) -> None:
    spec = context.spec
    pulumi.export(
        "publicAddresses", {name: host.public_address for name, host in built.hosts.items()}
    )
    pulumi.export(
        "services",
        {
            name: {"machine": service.machine, "image": service.image}
            for name, service in spec.services.items()
        },
    )
    pulumi.export("configPaths", dict(sorted(built.config_paths.items())))
    pulumi.export("policyConfig", stack_policy_config(spec))
