"""What every server the program creates shares: its generated SSH host key, its first-boot
cloud-init, and the Docker engine that waits for both.

Used by the droplet and Hetzner Cloud host components; not a component itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import pulumi
import pulumi_command as command
import pulumi_tls as tls

from components.derive import EdgeOpening
from components.derive.topology import EngineNetwork
from components.docker_engine import DockerEngine, DockerEngineArgs
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
        f"{name}-host-key",
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
    connection = command.remote.ConnectionArgs(
        host=address,
        user=boot.admin_user,
        private_key=pulumi.Output.secret(boot.private_key),
        host_key=host_key.public_key_openssh,
    )
    return DockerEngine(
        f"{name}-engine",
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
