"""The one base of every server the program creates (a droplet, a Hetzner Cloud server).

``CloudServer`` declares what they share, in this order: a generated SSH host key, the admin
keys in the account, an optional protected data volume, the server with its first-boot
cloud-init, a cloud firewall made of SSH from the admin networks plus the edge openings, and
the Docker engine that waits for all of it. A provider's subclass says only how each of those
is spelt in its API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

import pulumi
import pulumi_tls as tls

from components import names
from components.derive import EdgeOpening
from components.derive.topology import EngineNetwork
from components.docker.engine import DockerEngine, DockerEngineArgs
from components.hosts.connection import ssh_connection
from components.render.cloud_init import (
    DATA_MOUNT,
    DataVolume,
    DockerServerInit,
    HostKeyPair,
    cloud_init_user_data,
)
from components.render.readiness import Readiness, readiness_command
from components.spec import CloudServerSpec

H = TypeVar("H", bound=CloudServerSpec)


@dataclass(frozen=True)
class CloudServerArgs(Generic[H]):
    """What a cloud server component is given: its spec, its first boot, its edge openings."""

    host: H
    boot: ServerBootstrap
    openings: Sequence[EdgeOpening]


# Every IPv4 and IPv6 source: what a cloud firewall's public ports are open to.
ANYWHERE = ["0.0.0.0/0", "::/0"]


@dataclass(frozen=True)
class ServerBootstrap:
    hostname: str
    admin_user: str
    admin_keys: Sequence[str]
    private_key: pulumi.Input[str]
    project_dir: str
    stack: str
    networks: Sequence[EngineNetwork]


def generated_host_key(name: str, parent: pulumi.Resource) -> tls.PrivateKey:
    """The server's ed25519 host key: generated here, kept in state as a secret, and installed
    by cloud-init, so the first SSH connection is already pinned."""
    return tls.PrivateKey(
        names.child(name, names.HOST_KEY),
        algorithm="ED25519",
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["privateKeyOpenssh"]),
    )


def user_data(
    boot: ServerBootstrap,
    host_key: tls.PrivateKey,
    volume_device: pulumi.Input[str] | None = None,
) -> pulumi.Output[str]:
    """cloud-init user-data; a secret, since it carries the host's private key."""
    text = pulumi.Output.all(
        private=host_key.private_key_openssh,
        public=host_key.public_key_openssh,
        device=volume_device,
    ).apply(
        lambda values: cloud_init_user_data(
            DockerServerInit(
                hostname=boot.hostname,
                admin_user=boot.admin_user,
                admin_keys=tuple(boot.admin_keys),
                host_key=HostKeyPair(
                    private_openssh=values["private"], public_openssh=values["public"].strip()
                ),
                data_volume=(
                    DataVolume(device=values["device"]) if values["device"] is not None else None
                ),
            )
        )
    )
    return pulumi.Output.secret(text)


def server_engine(
    name: str,
    boot: ServerBootstrap,
    address: pulumi.Input[str],
    host_key: tls.PrivateKey,
    *,
    server_id: pulumi.Input[str],
    has_data_volume: bool,
    after: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> DockerEngine:
    connection = ssh_connection(
        host=address,
        user=boot.admin_user,
        private_key=boot.private_key,
        host_key=host_key.public_key_openssh,
    )
    return DockerEngine(
        names.child(name, names.ENGINE),
        DockerEngineArgs(
            alias=name,
            hostname=address,
            user=boot.admin_user,
            host_key=host_key.public_key_openssh,
            private_key=boot.private_key,
            readiness_connection=connection,
            readiness_script=readiness_command(
                Readiness(
                    wait_for_cloud_init=True,
                    data_mount=DATA_MOUNT if has_data_volume else None,
                )
            ),
            project_dir=boot.project_dir,
            stack=boot.stack,
            networks=boot.networks,
            after=after,
            machine_id=server_id,
        ),
        pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class InboundRule:
    """One inbound rule of a cloud firewall, as both providers take it."""

    protocol: str
    ports: str
    sources: list[str]
    description: str


def inbound_rules(host: CloudServerSpec, openings: Sequence[EdgeOpening]) -> list[InboundRule]:
    """SSH from the admin networks only, then every edge opening from anywhere."""
    return [
        InboundRule(
            "tcp",
            "22",
            [str(network) for network in host.sshAllowedFrom],
            "SSH from the admin networks",
        ),
        *(
            InboundRule(o.protocol, str(o.ports), ANYWHERE, f"{o.service}: {o.config_path}")
            for o in openings
        ),
    ]


@dataclass(frozen=True)
class ServerParts(Generic[H]):
    """What a provider's subclass declares its server from."""

    name: str
    host: H
    boot: ServerBootstrap
    keys: list[pulumi.Output[str]]  # how the server refers to each uploaded admin key
    host_key: tls.PrivateKey
    rules: list[InboundRule]

    def user_data(self, volume_device: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
        return user_data(self.boot, self.host_key, volume_device)


class CloudServer(pulumi.ComponentResource, Generic[H]):
    """A server of a cloud provider; subclasses implement the provider's resources."""

    TYPE: ClassVar[str]
    engine: DockerEngine
    public_address: pulumi.Output[str]

    def __init__(
        self, name: str, args: CloudServerArgs[H], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        host_key = generated_host_key(name, self)
        keys = [
            self._admin_key(names.admin_key(name, index), key)
            for index, key in enumerate(args.boot.admin_keys)
        ]
        after = self._server(
            ServerParts(
                name=name,
                host=args.host,
                boot=args.boot,
                keys=keys,
                host_key=host_key,
                rules=inbound_rules(args.host, args.openings),
            )
        )
        self.engine = server_engine(
            name,
            args.boot,
            self.public_address,
            host_key,
            has_data_volume=args.host.dataVolumeGb is not None,
            server_id=self._server_id(),
            after=after,
            parent=self,
        )
        self.register_outputs({"publicAddress": self.public_address})

    def _child(self, **options: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **options)  # type: ignore[arg-type]

    def _admin_key(self, name: str, public_key: str) -> pulumi.Output[str]:
        """Upload one admin key; returns how the server refers to it."""
        raise NotImplementedError

    def _server(self, parts: ServerParts[H]) -> list[pulumi.Resource]:
        """Declare the server, its firewall and its data volume (``host.dataVolumeGb``); set
        ``public_address``; return what the engine waits for."""
        raise NotImplementedError

    def _server_id(self) -> pulumi.Output[str]:
        raise NotImplementedError
