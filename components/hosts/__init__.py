"""Host kinds: a builder per kind, registered by the ``kind`` the spec's host union takes.

A builder declares one host from its ``HostPlan`` and returns what the services need: the
Docker engines of its machines and the address where the host's forwards arrive. Each builder
imports its modules when called, so a stack loads the provider SDKs of its own kinds only (a
droplet stack never imports the Proxmox SDK; the plan benchmark checks it).
"""

# ruff: noqa: PLC0415 -- builders import their host modules lazily (see above)

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components.derive.plan import HostPlan, ProxmoxHostPlan, ServerHostPlan
from components.docker.engine import DockerEngine, registry_auth

if TYPE_CHECKING:
    from components.hosts.cloud.server import CloudServer

SecretReader = Callable[[str], pulumi.Output[str]]


@dataclass(frozen=True)
class HostContext:
    secret: SecretReader  # a dotted path under platform:secrets -> its value, as a secret
    project_dir: str
    stack: str


@dataclass
class BuiltHost:
    resource: pulumi.ComponentResource
    engines: dict[str, DockerEngine]
    public_address: pulumi.Input[str]


def _proxmox(plan: HostPlan, context: HostContext) -> BuiltHost:
    from components.hosts.proxmox.platform import ProxmoxPlatform, ProxmoxPlatformArgs

    assert isinstance(plan, ProxmoxHostPlan)
    platform = ProxmoxPlatform(
        plan.name,
        ProxmoxPlatformArgs(
            plan=plan,
            api_token=context.secret(plan.secrets["apiToken"]),
            ssh_private_key=context.secret(plan.secrets["sshPrivateKey"]),
            project_dir=context.project_dir,
            stack=context.stack,
            registry_auth={
                guest.name: registry_auth(guest.engine, context.secret)
                for guest in plan.guests
                if guest.engine is not None
            },
        ),
    )
    return BuiltHost(platform, platform.engines, str(plan.spec.publicAddress))


def _droplet(plan: HostPlan, context: HostContext) -> BuiltHost:
    from components.hosts.cloud.droplet import DropletHost

    return _cloud_server(DropletHost, plan, context)


def _hcloud(plan: HostPlan, context: HostContext) -> BuiltHost:
    from components.hosts.cloud.hcloud import HcloudHost

    return _cloud_server(HcloudHost, plan, context)


def _cloud_server(kind: type[CloudServer[Any]], plan: HostPlan, context: HostContext) -> BuiltHost:
    """A server the program creates: a droplet or a Hetzner Cloud server."""
    from components.hosts.cloud.server import CloudServerArgs, ServerBootstrap
    from components.spec import CloudServerSpec

    assert isinstance(plan, ServerHostPlan)
    host = plan.spec
    assert isinstance(host, CloudServerSpec)
    boot = ServerBootstrap(hostname=plan.name, admin_user=host.adminUser, **_access(plan, context))
    server = kind(plan.name, CloudServerArgs(host=host, boot=boot, openings=plan.openings))
    return BuiltHost(server, {plan.name: server.engine}, server.public_address)


def _ssh(plan: HostPlan, context: HostContext) -> BuiltHost:
    from components.hosts.ssh import ExistingServer, ExistingServerArgs
    from components.spec import SshHostSpec

    assert isinstance(plan, ServerHostPlan)
    assert isinstance(plan.spec, SshHostSpec)
    server = ExistingServer(
        plan.name,
        ExistingServerArgs(host=plan.spec, **_access(plan, context)),
    )
    return BuiltHost(server, {plan.name: server.engine}, server.public_address)


def _access(plan: ServerHostPlan, context: HostContext) -> dict[str, Any]:
    """The ``ServerAccess`` fields of a server host, from its plan (keyword arguments)."""
    key = plan.secrets["sshPrivateKey"]
    return {
        "admin_keys": plan.admin_keys,
        "private_key": context.secret(key),
        "private_key_path": _secret_path(key),
        "project_dir": context.project_dir,
        "stack": context.stack,
        "networks": plan.engine.networks,
        "registry_auth": registry_auth(plan.engine, context.secret),
    }


def _secret_path(dotted: str) -> str:
    """``platform:secrets.hub.sshPrivateKey`` for the plan's ``hub.sshPrivateKey``."""
    from components.spec import SECRETS_KEY, config_path

    return config_path((SECRETS_KEY, *dotted.split(".")))


HOST_BUILDERS: dict[str, Callable[[HostPlan, HostContext], BuiltHost]] = {
    "proxmox": _proxmox,
    "droplet": _droplet,
    "hcloud": _hcloud,
    "ssh": _ssh,
}
