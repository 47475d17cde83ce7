"""Hosts that are not Proxmox nodes: cloud servers and existing servers reached over SSH.

Each kind runs one Docker engine of its own and declares the secrets it needs; the Proxmox
kind (``proxmox.ProxmoxHostSpec``) runs its Docker engines inside LXC guests instead.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network, IPv6Network
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from .common import Hostname, ShellSafe, SshPublicKey, Strict, reserved_memory_field

ADMIN_USER_DESCRIPTION = (
    "Login created for administration and for the Docker engine's SSH connection "
    "(member of the docker group; password login disabled)."
)


# A key already in a provider account: its id, or its MD5 fingerprint as both providers show it
# (`aa:bb:...`, 16 hex pairs; `ssh-keygen -l -E md5` prints it after `MD5:`).
_KEY_ID = re.compile(r"^[1-9][0-9]{0,18}$")
_MD5_FINGERPRINT = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){15}$")


_KEY_REFERENCE_ALLOWED = (
    "is neither an SSH key id (digits) nor an MD5 fingerprint (16 colon-separated hex pairs "
    "such as 55:58:dc:bd:61:6e:7d:24:07:a7:7d:9b:be:99:83:a8, as the provider's console and "
    "`ssh-keygen -l -E md5 -f KEY.pub` show it)"
)


def _key_reference_text(value: object) -> object:
    # YAML reads a bare id as a number; a boolean is never an id.
    if isinstance(value, bool):
        raise ValueError(_KEY_REFERENCE_ALLOWED)
    return str(value) if isinstance(value, int) else value


def _key_reference(value: str) -> str:
    value = value.strip().lower()
    if not (_KEY_ID.fullmatch(value) or _MD5_FINGERPRINT.fullmatch(value)):
        raise ValueError(_KEY_REFERENCE_ALLOWED)
    return value


def _unique_references(values: list[str]) -> list[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"names {', '.join(repeated)} more than once; list each key once")
    return values


KeyReference = Annotated[str, BeforeValidator(_key_reference_text), AfterValidator(_key_reference)]

# Hetzner Cloud server type names: a family and two digits, the last one the generation
# (hetznercloud/terraform-provider-hcloud c9cdbb9 "CX Gen 2 and CPX Gen 1 types are deprecated
# and will be removed from the API": its docs moved from cx22 to cx23, its tests from cpx11 to
# cpx22; internal/teste2e/testing.go at v1.66.1 defaults to cpx12).
_HCLOUD_SERVER_TYPE = re.compile(r"^(cx|cpx|cax|ccx)[1-9]([0-9])$")
HCLOUD_CURRENT_TYPES = (
    "cx23, cx33, cx43, cx53 (shared vCPU, CX Gen 3), cpx12 ... cpx62 (shared AMD, CPX Gen 2), "
    "cax11 ... cax41 (Arm), ccx13 ... ccx63 (dedicated vCPU)"
)
# Generations removed from Hetzner's API: family -> generation digits.
_HCLOUD_REMOVED = {"cx": {"1": "CX Gen 1", "2": "CX Gen 2"}, "cpx": {"1": "CPX Gen 1"}}


def _hcloud_server_type(value: str) -> str:
    match = _HCLOUD_SERVER_TYPE.fullmatch(value)
    if match is None:
        raise ValueError(
            "is not a Hetzner Cloud server type: a family (cx, cpx, cax, ccx) and two digits, "
            f"such as {HCLOUD_CURRENT_TYPES}"
        )
    removed = _HCLOUD_REMOVED.get(match.group(1), {}).get(match.group(2))
    if removed is not None:
        raise ValueError(
            f"is a {removed} type, removed from Hetzner's API (a server of it cannot be "
            f"created); use a current type such as {HCLOUD_CURRENT_TYPES}"
        )
    return value


HcloudServerType = Annotated[str, AfterValidator(_hcloud_server_type)]

RESIZE_NOTE = (
    "Changing it resizes the server in place: the provider powers it off hard (no clean "
    "shutdown), changes the type and powers it on."
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
        description=(
            "Size of a protected block volume for Docker's data, or null for none. Added to a "
            "running server, it is formatted and Docker's data root moved onto it only while "
            "Docker holds no container or volume; otherwise the `-data-volume` step refuses "
            "and says how to move the data."
        ),
    )

    reservedMemoryMb: int | None = reserved_memory_field()

    existingSshKeys: Annotated[list[KeyReference], AfterValidator(_unique_references)] = Field(
        default_factory=list,
        description=(
            "SSH keys already in the provider account, by id or MD5 fingerprint: the server is "
            "created with them, and an adminSshKeys entry with a listed fingerprint is not "
            "uploaded again (the account refuses a second key with the same fingerprint)."
        ),
    )


class DropletHostSpec(CloudServerSpec):
    PROVIDERS: ClassVar[tuple[str, ...]] = (*CloudServerSpec.PROVIDERS, "digitalocean")
    kind: Literal["droplet"]
    region: ShellSafe = Field(description="DigitalOcean region slug, e.g. fra1.")
    size: ShellSafe = Field(description=f"Droplet size slug, e.g. s-2vcpu-4gb. {RESIZE_NOTE}")
    resizeDisk: bool = Field(
        default=False,
        description=(
            "Grow the disk with a size change. A grown disk cannot shrink: the droplet can "
            "then never move back to a smaller size. Off by default (CPU and memory only)."
        ),
    )
    image: ShellSafe = Field(
        default="debian-12-x64", description="Droplet image slug (Debian or Ubuntu)."
    )
    backups: bool = Field(default=True, description="DigitalOcean's weekly droplet backups.")


class HcloudHostSpec(CloudServerSpec):
    PROVIDERS: ClassVar[tuple[str, ...]] = (*CloudServerSpec.PROVIDERS, "hcloud")
    kind: Literal["hcloud"]
    location: ShellSafe = Field(description="Hetzner Cloud location, e.g. fsn1.")
    serverType: HcloudServerType = Field(
        description=f"Hetzner Cloud server type, e.g. cx33 or cpx22. {RESIZE_NOTE}"
    )
    keepDisk: bool = Field(
        default=True,
        description=(
            "Keep the disk size on a serverType change. Without it the disk is upgraded for "
            "good and the server can never move back to a type with a smaller disk."
        ),
    )
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
