"""Hosts that are not Proxmox nodes: cloud servers and existing servers reached over SSH.

Each kind runs one Docker engine of its own and declares the secrets it needs; the Proxmox
kind (``proxmox.ProxmoxHostSpec``) runs its Docker engines inside LXC guests instead.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Network
from typing import ClassVar, Literal

from pydantic import Field

from .common import Hostname, ShellSafe, SshPublicKey, Strict

ADMIN_USER_DESCRIPTION = (
    "Login created for administration and for the Docker engine's SSH connection "
    "(member of the docker group; password login disabled)."
)


class DockerHostSpec(Strict):
    """What every host that runs its own Docker engine has in common."""

    # The providers whose resources this kind declares: their config namespaces (e.g.
    # `docker:host`) may appear in a stack file next to `platform`.
    PROVIDERS: ClassVar[tuple[str, ...]] = ("docker", "command")

    # The secrets this kind needs, under platform:secrets.<host name>.<key>.
    SECRETS: ClassVar[dict[str, str]] = {
        "sshPrivateKey": "private key (OpenSSH) the program uses to reach the host over SSH",
    }

    adminUser: Hostname = Field(default="ops", description=ADMIN_USER_DESCRIPTION)


class CloudServerSpec(DockerHostSpec):
    """A server the program creates: size, place and image come from config."""

    PROVIDERS: ClassVar[tuple[str, ...]] = (*DockerHostSpec.PROVIDERS, "tls")

    sshAllowedFrom: list[IPv4Network | IPv6Network] = Field(
        min_length=1,
        description="Networks (CIDR) the cloud firewall lets reach SSH; never the whole internet.",
    )

    dataVolumeGb: int | None = Field(
        default=None,
        ge=1,
        le=16384,
        description="Size of a protected block volume for Docker's data, or null for none.",
    )


class DropletHostSpec(CloudServerSpec):
    PROVIDERS: ClassVar[tuple[str, ...]] = (*CloudServerSpec.PROVIDERS, "digitalocean")
    kind: Literal["droplet"]
    region: ShellSafe = Field(description="DigitalOcean region slug, e.g. fra1.")
    size: ShellSafe = Field(description="Droplet size slug, e.g. s-2vcpu-4gb.")
    image: ShellSafe = Field(
        default="debian-12-x64", description="Droplet image slug (Debian or Ubuntu)."
    )
    backups: bool = Field(default=True, description="DigitalOcean's weekly droplet backups.")


class HcloudHostSpec(CloudServerSpec):
    PROVIDERS: ClassVar[tuple[str, ...]] = (*CloudServerSpec.PROVIDERS, "hcloud")
    kind: Literal["hcloud"]
    location: ShellSafe = Field(description="Hetzner Cloud location, e.g. fsn1.")
    serverType: ShellSafe = Field(description="Hetzner Cloud server type, e.g. cx32.")
    image: ShellSafe = Field(default="debian-12", description="Hetzner Cloud image name.")
    backups: bool = Field(default=True, description="Hetzner Cloud's daily server backups.")


class SshHostSpec(DockerHostSpec):
    """An existing server with Docker installed, reached over SSH with a pinned host key."""

    kind: Literal["ssh"]
    address: IPv4Address = Field(description="The server's public IPv4 address.")
    sshPort: int = Field(default=22, ge=1, le=65535, description="SSH port of the server.")
    sshHostKey: SshPublicKey = Field(
        description="The server's SSH host key (`ssh-ed25519 AAAA...`); any other is refused."
    )
