"""Proxmox VE in the spec: the host (node), its NAT bridge, its LXC template, and the guests.

Field names are the camelCase keys written in ``Pulumi.<stack>.yaml``. Rules within one host
(API TLS, storage, volume group) are the host model's own; rules spanning entries (guest ids,
subnet membership, forward overlaps) live in ``rules`` and report the exact config path of the
offending value.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_address
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, HttpUrl, model_validator
from pydantic_core import PydanticCustomError

from .common import (
    Hostname,
    InterfaceName,
    ShellSafe,
    SshPublicKey,
    Strict,
    reserved_memory_field,
)
from .errors import Problem, SpecProblem
from .partial import parsed

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

# The provider's own rule for a Linux bridge it manages (bpg/terraform-provider-proxmox
# v0.111.1, fwprovider/nodes/network/resource_linux_bridge.go, attribute "name").
_BRIDGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,9}$")
# LVM's rule for volume group names (lvm(8), "VALID NAMES"), without the reserved ones.
_VOLUME_GROUP_RE = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$")

# The LXC template of the examples, fetched over https with the sha512sum Proxmox publishes for
# it in its template index (http://download.proxmox.com/images/aplinfo-pve-8.dat, the list
# `pveam available` reads).
DEFAULT_TEMPLATE_URL = (
    "https://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst"
)
DEFAULT_TEMPLATE_SHA512 = (
    "50c85eaaece677a3ebe01cc909b83872e9da2a22c29ae652838afce71e83222f"
    "df40f6accecd7d52b180e912fc1f85ecdf7b3fc4d3027da4d865e509a9e76597"
)
# Hex digits per checksum algorithm the Proxmox download-url API accepts.
CHECKSUM_HEX_LENGTH: dict[str, int] = {
    "md5": 32,
    "sha1": 40,
    "sha224": 56,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
}
# Storage ids of a default Proxmox VE install: `local` is a directory (/var/lib/vz) and
# `local-lvm` the LVM-thin pool `data`. LVM-thin holds only guest volumes (content
# images,rootdir: pve-storage src/PVE/Storage/LvmThinPlugin.pm, plugindata), never templates.
LOCAL_DIR_STORAGE = "local"
LOCAL_THIN_STORAGE = "local-lvm"


def _with_prefix(value: object) -> object:
    # IPv4Interface reads a bare address as a /32, which leaves the guests no subnet at all.
    if isinstance(value, IPv4Interface) or (isinstance(value, str) and "/" in value):
        return value
    raise PydanticCustomError("ip_v4_interface", "needs a prefix length")


def _bridge_name(value: str) -> str:
    if not _BRIDGE_RE.fullmatch(value):
        raise ValueError(
            "is not a valid Proxmox bridge name: a letter, then letters, digits or '_', "
            "at most 10 characters (such as vmbr1)"
        )
    return value


def _without_scheme(url: str) -> str:
    return url.partition("://")[2]


BridgeName = Annotated[str, AfterValidator(_bridge_name)]
PrefixedInterface = Annotated[IPv4Interface, BeforeValidator(_with_prefix)]
_Strict = Strict


class TemplateSpec(_Strict):
    url: HttpUrl = Field(
        default=HttpUrl(DEFAULT_TEMPLATE_URL),
        description="https URL of the LXC template the Proxmox node downloads through its API.",
    )
    checksum: str = Field(
        default=DEFAULT_TEMPLATE_SHA512,
        description="Checksum (hex) of the template at `url`; Proxmox refuses a file that differs.",
    )
    checksumAlgorithm: Literal["md5", "sha1", "sha224", "sha256", "sha384", "sha512"] = Field(
        default="sha512", description="Algorithm of `checksum`."
    )
    datastore: ShellSafe = Field(
        default=LOCAL_DIR_STORAGE,
        description="Proxmox directory storage that holds templates (content vztmpl).",
    )
    osType: Literal["debian", "ubuntu", "alpine", "centos", "fedora", "archlinux", "unmanaged"] = (
        Field(default="debian", description="Operating system of the template.")
    )

    @model_validator(mode="after")
    def _template_rules(self) -> TemplateSpec:
        problems: list[Problem] = []
        if self.url.scheme != "https":
            problems.append(
                Problem(
                    ("url",),
                    f"{self.url} is fetched without TLS; use an https URL (Proxmox's own "
                    "template server answers https://download.proxmox.com/images/system/...)",
                )
            )
        want = CHECKSUM_HEX_LENGTH[self.checksumAlgorithm]
        if not re.fullmatch(rf"[0-9a-fA-F]{{{want}}}", self.checksum):
            problems.append(
                Problem(
                    ("checksum",),
                    f"{self.checksum} is not a {self.checksumAlgorithm} checksum: "
                    f"{want} hexadecimal digits",
                )
            )
        elif (
            _without_scheme(str(self.url)) != _without_scheme(DEFAULT_TEMPLATE_URL)
            and self.checksum == DEFAULT_TEMPLATE_SHA512
        ):
            problems.append(
                Problem(
                    ("checksum",),
                    f"is the checksum of the default template, not of {self.url}; set the "
                    "checksum published for that file",
                )
            )
        if self.datastore == LOCAL_THIN_STORAGE:
            problems.append(
                Problem(
                    ("datastore",),
                    f"{self.datastore} is an LVM-thin storage, which holds only guest volumes "
                    f"(images, rootdir); keep templates on a directory storage such as "
                    f"{LOCAL_DIR_STORAGE}",
                )
            )
        if problems:
            raise SpecProblem(problems)
        return self


class NatBridgeSpec(_Strict):
    name: BridgeName = Field(
        default="vmbr1",
        description=(
            "Name of the private Linux bridge (no physical ports): a letter, then letters, "
            "digits or '_', at most 10 characters."
        ),
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

    # The providers whose resources this kind declares (see DockerHostSpec.PROVIDERS): the node,
    # host commands, and the guests' Docker engines.
    PROVIDERS: ClassVar[tuple[str, ...]] = ("proxmoxve", "command", "docker")
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
        description=(
            "Proxmox API endpoint by host name, e.g. https://pve.example.com:8006/ (a name its "
            "certificate carries)."
        )
    )
    insecureTls: bool = Field(
        default=False,
        description="Accept any certificate from the API. Off by default; prefer a real one.",
    )
    apiCaBundle: str | None = Field(
        default=None,
        description=(
            "PEM file of the CA that signs the API certificate (e.g. a copy of the node's "
            "/etc/pve/pve-root-ca.pem), given to the provider as SSL_CERT_FILE; lets an IP "
            "endpoint verify."
        ),
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
            "run while any thin volume is in the pool."
        ),
    )
    volumeGroup: ShellSafe = Field(
        default="pve",
        description="LVM volume group of the root LV and the `data` thin pool (installer: pve).",
    )
    containerDatastore: ShellSafe = Field(
        default=LOCAL_THIN_STORAGE,
        description="Proxmox storage for container root disks (`local` after a data merge).",
    )
    template: TemplateSpec = Field(default_factory=TemplateSpec, description="The LXC template.")
    dnsServers: list[IPv4Address] = Field(
        default_factory=lambda: [IPv4Address("1.1.1.1"), IPv4Address("9.9.9.9")],
        description="DNS servers given to the containers.",
    )
    guestManagementPorts: list[int] = Field(
        default_factory=list,
        description=(
            "Host TCP management ports (22, 8006, 3128) the guests may reach on the host; "
            "none by default."
        ),
    )

    natBridge: NatBridgeSpec = Field(description="The private routed-NAT bridge of the guests.")

    @property
    def ssh_host(self) -> IPv4Address:
        return self.sshAddress or self.publicAddress

    @property
    def api_host_is_ip(self) -> bool:
        host = (self.apiEndpoint.host or "").strip("[]")
        try:
            ip_address(host)
        except ValueError:
            return False
        return True

    @model_validator(mode="after")
    def _host_rules(self) -> ProxmoxHostSpec:
        problems = host_problems(self)
        if problems:
            raise SpecProblem(problems)
        return self


def host_problems(host: ProxmoxHostSpec) -> list[Problem]:
    """The host's own rules, at paths inside the host. On a partial host (see ``partial``)
    only those whose fields parsed: the platform's rules run them there too."""
    problems = [*_api_tls_problems(host), *_storage_problems(host)]
    if parsed(host, "volumeGroup") and (
        not _VOLUME_GROUP_RE.fullmatch(host.volumeGroup) or host.volumeGroup in (".", "..")
    ):
        problems.append(
            Problem(
                ("volumeGroup",),
                f"{host.volumeGroup} is not a valid LVM volume group name: letters, digits "
                "and + _ . -, not starting with '-'",
            )
        )
    seen: set[int] = set()
    ports = host.guestManagementPorts if parsed(host, "guestManagementPorts") else []
    for index, port in enumerate(ports):
        if port not in HOST_RESERVED_TCP_PORTS:
            allowed = ", ".join(
                f"{number} ({use})" for number, use in HOST_RESERVED_TCP_PORTS.items()
            )
            problems.append(
                Problem(
                    ("guestManagementPorts", index),
                    f"{port} is not a host management port; allowed: {allowed}",
                )
            )
        elif port in seen:
            problems.append(Problem(("guestManagementPorts", index), f"{port} is listed twice"))
        seen.add(port)
    return problems


def _api_tls_problems(host: ProxmoxHostSpec) -> list[Problem]:
    problems: list[Problem] = []
    endpoint = parsed(host, "apiEndpoint")
    tls_fields = parsed(host, "insecureTls", "apiCaBundle")
    if endpoint and host.apiEndpoint.scheme != "https":
        # bpg/terraform-provider-proxmox proxmox/api/client.go refuses any other scheme.
        problems.append(
            Problem(
                ("apiEndpoint",),
                f"{host.apiEndpoint} is not https; the Proxmox provider only talks https, "
                "e.g. https://pve.example.com:8006/",
            )
        )
    if tls_fields and host.insecureTls and host.apiCaBundle is not None:
        problems.append(
            Problem(
                ("apiCaBundle",),
                f"{host.apiCaBundle} is never used while insecureTls is true (nothing is "
                "verified); set insecureTls to false to verify against it, or drop apiCaBundle",
            )
        )
    if (
        endpoint
        and tls_fields
        and host.api_host_is_ip
        and not host.insecureTls
        and host.apiCaBundle is None
    ):
        # ACME certificates name hosts, and the node's default certificate is signed by the
        # node's own CA (pve-cluster src/PVE/Cluster/Setup.pm), which no system trusts.
        problems.append(
            Problem(
                ("apiEndpoint",),
                f"{host.apiEndpoint} is an IP address, which no public certificate names, "
                "and the node's own certificate is signed by the node's CA: use the host "
                "name on its certificate (e.g. https://pve.example.com:8006/), or set "
                "apiCaBundle to a copy of the node's /etc/pve/pve-root-ca.pem, or set "
                "insecureTls to true",
            )
        )
    return problems


def _storage_problems(host: ProxmoxHostSpec) -> list[Problem]:
    if (
        parsed(host, "mergeDataIntoRoot", "containerDatastore")
        and host.mergeDataIntoRoot
        and host.containerDatastore == LOCAL_THIN_STORAGE
    ):
        return [
            Problem(
                ("containerDatastore",),
                f"{host.containerDatastore} is the `data` thin pool that mergeDataIntoRoot "
                f"removes; place containers on {LOCAL_DIR_STORAGE} (or another storage), or set "
                "mergeDataIntoRoot to false",
            )
        ]
    return []


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
    reservedMemoryMb: int | None = reserved_memory_field()
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
