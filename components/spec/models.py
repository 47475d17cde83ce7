"""Pydantic models of a stack's ``platform`` config namespace: the single source of truth.

Field names are the camelCase keys written in ``Pulumi.<stack>.yaml``. Cross-field rules
(uniqueness, subnet membership, forward overlaps) live in ``platform.PlatformSpec``'s
validator and report the exact config path of the offending value.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, HttpUrl
from pydantic_core import PydanticCustomError

from .common import Hostname, InterfaceName, ShellSafe, SshPublicKey, Strict

# Ports the Proxmox host serves itself; forwarding them would cut the operator off the host.
HOST_RESERVED_TCP_PORTS: dict[int, str] = {
    22: "SSH to the Proxmox host",
    8006: "the Proxmox web UI and API",
    3128: "the Proxmox SPICE proxy",
}

# Private ranges a NAT bridge may use. Python's `is_private` would also accept loopback,
# link-local and the documentation ranges, none of which belongs on a guest bridge.
RFC1918_NETWORKS = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
)

# Proxmox guest ids: 100-999999999 (lower ids are reserved by Proxmox).
VM_ID_MIN = 100
VM_ID_MAX = 999_999_999


def _with_prefix(value: object) -> object:
    # IPv4Interface reads a bare address as a /32, which leaves the guests no subnet at all.
    if isinstance(value, IPv4Interface) or (isinstance(value, str) and "/" in value):
        return value
    raise PydanticCustomError("ip_v4_interface", "needs a prefix length")


PrefixedInterface = Annotated[IPv4Interface, BeforeValidator(_with_prefix)]
_Strict = Strict


class TemplateSpec(_Strict):
    url: HttpUrl = Field(
        default=HttpUrl(
            "http://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst"
        ),
        description="URL of the LXC template the Proxmox node downloads through its API.",
    )
    checksum: str | None = Field(
        default=None, description="Expected checksum of the template (hex), or null."
    )
    checksumAlgorithm: Literal["md5", "sha1", "sha224", "sha256", "sha384", "sha512"] = Field(
        default="sha512", description="Algorithm of `checksum`."
    )
    datastore: ShellSafe = Field(
        default="local", description="Proxmox storage that holds templates (content vztmpl)."
    )
    osType: Literal["debian", "ubuntu", "alpine", "centos", "fedora", "archlinux", "unmanaged"] = (
        Field(default="debian", description="Operating system of the template.")
    )


class NatBridgeSpec(_Strict):
    name: InterfaceName = Field(
        default="vmbr1", description="Name of the private Linux bridge (no physical ports)."
    )
    address: PrefixedInterface = Field(
        description="Bridge address with prefix, e.g. 10.0.0.1/24: the guests' gateway and subnet."
    )

    @property
    def gateway(self) -> IPv4Address:
        return self.address.ip

    @property
    def subnet(self) -> IPv4Network:
        return self.address.network


class ProxmoxHostSpec(_Strict):
    """A Proxmox VE node: its guests sit on the NAT bridge behind its one public address."""

    # The secrets this kind needs, under platform:secrets.<host name>.<key>.
    SECRETS: ClassVar[dict[str, str]] = {
        "apiToken": "Proxmox API token, USER@REALM!TOKENID=UUID",
        "sshPrivateKey": "private key (OpenSSH) for SSH to the Proxmox host",
    }

    kind: Literal["proxmox"]
    nodeName: Hostname = Field(
        description="Proxmox node name as shown by `pvecm nodes`/the web UI."
    )
    apiEndpoint: HttpUrl = Field(
        description="Proxmox API endpoint, e.g. https://203.0.113.10:8006/."
    )
    insecureTls: bool = Field(
        default=False,
        description="Accept the node's self-signed certificate. Off by default; prefer a real one.",
    )
    publicAddress: IPv4Address = Field(
        description="The single public IPv4 address of the uplink; NAT hides every guest behind it."
    )
    sshAddress: IPv4Address | None = Field(
        default=None, description="Address for SSH host commands; defaults to publicAddress."
    )
    sshUser: Hostname = Field(default="root", description="SSH user for host preparation commands.")
    sshHostKey: SshPublicKey | None = Field(
        default=None,
        description=(
            "The host's SSH public host key (`ssh-ed25519 AAAA...`, from "
            "/etc/ssh/ssh_host_ed25519_key.pub); when set, host commands refuse any other key."
        ),
    )
    uplinkBridge: InterfaceName = Field(
        default="vmbr0",
        description="The bridge holding the physical uplink; no guest interface may join it.",
    )
    mergeDataIntoRoot: bool = Field(
        default=False,
        description=(
            "Opt-in: fold the default `data` thin pool into the root LV (seed 000). Refuses to "
            "run while any guest still uses `local-lvm`."
        ),
    )
    containerDatastore: ShellSafe = Field(
        default="local-lvm",
        description="Proxmox storage for container root disks (`local` after a data merge).",
    )
    template: TemplateSpec = Field(default_factory=TemplateSpec, description="The LXC template.")
    dnsServers: list[IPv4Address] = Field(
        default_factory=lambda: [IPv4Address("1.1.1.1"), IPv4Address("9.9.9.9")],
        description="DNS servers given to the containers.",
    )

    natBridge: NatBridgeSpec = Field(description="The private routed-NAT bridge of the guests.")

    @property
    def ssh_host(self) -> IPv4Address:
        return self.sshAddress or self.publicAddress


class GuestSpec(_Strict):
    """An unprivileged LXC guest on a Proxmox host's NAT bridge; services run in its Docker."""

    host: str = Field(description="The Proxmox host (under platform:hosts) that runs the guest.")
    vmId: int = Field(
        ge=VM_ID_MIN, le=VM_ID_MAX, description="Proxmox guest id, 100-999999999, unique."
    )
    address: IPv4Address = Field(description="Static address inside the NAT bridge subnet.")
    hostname: Hostname | None = Field(
        default=None, description="Container hostname; defaults to the service name."
    )
    description: str = Field(default="", description="What the service does (seed table).")
    cores: int = Field(default=1, ge=1, le=512, description="CPU cores.")
    memoryMb: int = Field(default=1024, ge=64, description="Dedicated memory in MiB.")
    swapMb: int = Field(default=0, ge=0, description="Swap in MiB.")
    diskGb: int = Field(default=8, ge=1, description="Root disk size in GiB.")
    startOrder: int = Field(
        default=10,
        ge=0,
        le=999,
        description="Boot order; lower starts first (proxy and media first).",
    )
    stateful: bool = Field(
        default=False,
        description="Holds data that must survive: protected from deletion in Pulumi and Proxmox.",
    )
