"""A Docker engine on a host or a guest: readiness, SSH access, provider, and its networks.

Nothing is deployed to the engine before a readiness command has seen cloud-init finish (on a
server) and ``docker info`` answer; the provider's host is derived from that command's
output, so every resource on the engine waits for it. The provider reaches the engine over
SSH through a generated ssh_config with pinned host keys, and for a guest through its Proxmox
host as the jump host.

Private images: the provider carries the credentials of the registries the engine's images
pull from (``registry_auth``, username and password; the password a secret). The provider
keys them by the address's host name and its pull looks up the image's registry host,
``registry-1.docker.io`` for Docker Hub (kreuzwerker/terraform-provider-docker v4.5.0
provider.go:303-384, resource_docker_image_funcs.go:249-255, 294-340); the pull itself runs on
the engine, which receives the credentials with the request only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_command as command
import pulumi_docker as docker

from components import names
from components.derive.plan import EnginePlan
from components.derive.topology import EngineNetwork
from components.render.engine_access import (
    WRITE_FILES_PROGRAM,
    AccessFiles,
    access_files,
    guest_host_key_from,
    write_files_stdin,
)
from components.render.readiness import provider_host_after_readiness
from components.render.server_steps import as_root
from components.render.ssh_config import (
    SshHost,
    docker_ssh_opts,
    known_hosts_text,
    ssh_config_text,
)


@dataclass(frozen=True)
class RegistryAuth:
    """Credentials for one registry; ``address`` as the provider's pull looks it up."""

    address: str
    username: str
    password: pulumi.Input[str]


def registry_auth(
    plan: EnginePlan, secret: Callable[[str], pulumi.Output[str]]
) -> tuple[RegistryAuth, ...]:
    """The engine's registry credentials, each password read from platform:secrets."""
    return tuple(
        RegistryAuth(address=r.address, username=r.username, password=secret(r.password.path))
        for r in plan.registries
    )


@dataclass(frozen=True)
class DockerEngineArgs:
    """How ssh reaches the engine: ``alias`` is the ``ssh://`` name; for a guest ``jump`` is its
    Proxmox host and ``host_key`` is None: the guest's key comes from the readiness output."""

    alias: str
    hostname: pulumi.Input[str]
    user: str
    host_key: pulumi.Input[str] | None
    private_key: pulumi.Input[str]
    readiness_connection: command.remote.ConnectionArgs
    readiness_script: str
    project_dir: str
    stack: str
    port: int = 22
    jump: SshHost | None = None
    networks: Sequence[EngineNetwork] = ()
    after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    # The id of the machine (a guest's container, a server): a rebuilt machine gets a new one,
    # and the readiness runs again, reading a new guest host key.
    machine_id: pulumi.Input[str] | None = None
    registry_auth: Sequence[RegistryAuth] = ()
    # How a root step on the engine's machine is run over ``readiness_connection``: ``sudo``
    # for a server's admin user (server_steps.as_root), ``pct exec`` for a guest.
    as_root: Callable[[str], str] = as_root


class DockerEngine(pulumi.ComponentResource):
    readiness: command.remote.Command
    provider: docker.Provider
    host: pulumi.Output[str]  # the provider's ssh:// host, known after the readiness
    ssh_opts: pulumi.Output[list[str]]  # the provider's ssh options (the generated ssh_config)
    networks: dict[str, docker.Network]
    # How other SSH clients take the engine's path (NPM's API tunnel): the written ssh_config,
    # relative to the project directory (resource inputs that carry it stay the same from any
    # checkout), and the engine's alias in it; known once the files are written.
    ssh_route: pulumi.Output[dict[str, str]]
    # What host steps on the machine (its backup jobs) run over, and how they become root.
    connection: command.remote.ConnectionArgs
    as_root: Callable[[str], str]

    def __init__(
        self, name: str, args: DockerEngineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:docker:DockerEngine", name, None, opts)
        self.connection = args.readiness_connection
        self.as_root = args.as_root
        self.readiness = command.remote.Command(
            names.child(name, names.READY),
            connection=args.readiness_connection,
            create=args.readiness_script,
            update=args.readiness_script,
            triggers=[args.machine_id] if args.machine_id is not None else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
        )
        files = access_files(args.project_dir, args.stack, args.alias, os.getuid())
        stdin = pulumi.Output.all(
            hostname=args.hostname,
            host_key=args.host_key,
            readiness=self.readiness.stdout,
            key=pulumi.Output.secret(args.private_key),
        ).apply(lambda values: _access_stdin(args, files, values))
        written = command.local.run_output(
            # The interpreter running this program: present wherever `pulumi` runs it.
            interpreter=[sys.executable, "-c", WRITE_FILES_PROGRAM],
            command="",
            stdin=stdin,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        alias = args.alias
        # Kept on the engine so another docker provider can reach the same engine (a program's
        # own, or the component provider's ContainerService: components/provider).
        self.host = self.readiness.stdout.apply(
            lambda out: provider_host_after_readiness(out, alias)
        )
        self.ssh_opts = written.stdout.apply(lambda _: docker_ssh_opts(files.paths))
        self.ssh_route = written.stdout.apply(
            lambda _: {"sshConfig": files.project_ssh_config, "alias": alias}
        )
        self.provider = docker.Provider(
            names.child(name, names.PROVIDER),
            host=self.host,
            ssh_opts=self.ssh_opts,
            registry_auth=[
                docker.ProviderRegistryAuthArgs(
                    address=auth.address,
                    username=auth.username,
                    password=pulumi.Output.secret(auth.password),
                )
                for auth in args.registry_auth
            ]
            or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.networks = {
            network.key: docker.Network(
                names.child(name, network.key),
                name=network.docker_name,
                driver="bridge",
                internal=network.internal,
                ipam_configs=(
                    [docker.NetworkIpamConfigArgs(subnet=str(network.subnet))]
                    if network.subnet is not None
                    else None
                ),
                options=(
                    {"com.docker.network.bridge.name": network.bridge_name}
                    if network.bridge_name is not None
                    else None
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
            )
            for network in args.networks
        }
        self.register_outputs({})


def _access_stdin(args: DockerEngineArgs, files: AccessFiles, values: dict[str, Any]) -> str:
    host_key = values["host_key"]
    if host_key is None:
        host_key = guest_host_key_from(values["readiness"])
    endpoint = SshHost(
        alias=args.alias,
        hostname=values["hostname"],
        user=args.user,
        host_keys=(host_key,),
        port=args.port,
        jump=args.jump.alias if args.jump is not None else None,
    )
    hosts = [endpoint, *([args.jump] if args.jump is not None else [])]
    key = values["key"]
    return write_files_stdin(
        files,
        {
            "config": ssh_config_text(hosts, files.paths),
            "known_hosts": known_hosts_text(hosts),
            "id": key if key.endswith("\n") else key + "\n",
        },
    )
