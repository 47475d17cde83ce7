"""Pydantic models of a stack's ``platform`` config namespace: the single source of truth.

Field names are the camelCase keys written in ``Pulumi.<stack>.yaml``. Cross-field rules
(uniqueness, subnet membership, forward overlaps) live in the ``PlatformSpec`` validator and
report the exact config path of the offending value.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

import re
from collections import defaultdict
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_address
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import Problem, SpecProblem
from .ports import PortRange

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

_HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_INTERFACE_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$")
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


def _hostname(value: str) -> str:
    if not _HOSTNAME_RE.fullmatch(value):
        raise ValueError(
            "is not a valid hostname: 1-63 lower-case letters, digits and hyphens, "
            "not starting or ending with a hyphen"
        )
    return value


def _interface_name(value: str) -> str:
    if not _INTERFACE_RE.fullmatch(value):
        raise ValueError(
            "is not a valid Linux interface name: 1-15 letters, digits, '_', '.', '-', "
            "starting with a letter"
        )
    return value


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


Hostname = Annotated[str, AfterValidator(_hostname)]
InterfaceName = Annotated[str, AfterValidator(_interface_name)]
BridgeName = Annotated[str, AfterValidator(_bridge_name)]
PrefixedInterface = Annotated[IPv4Interface, BeforeValidator(_with_prefix)]


class _Strict(BaseModel):
    """Unknown keys are errors: a typo must never silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


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
    datastore: str = Field(
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


class ProxmoxHostSpec(_Strict):
    name: Hostname = Field(
        description="Short name of the host; names rendered files and resources."
    )
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
    sshUser: str = Field(default="root", description="SSH user for host preparation commands.")
    sshHostKey: str | None = Field(
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
    volumeGroup: str = Field(
        default="pve",
        description="LVM volume group of the root LV and the `data` thin pool (installer: pve).",
    )
    containerDatastore: str = Field(
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
        problems = [*_api_tls_problems(self), *_storage_problems(self)]
        if not _VOLUME_GROUP_RE.fullmatch(self.volumeGroup) or self.volumeGroup in (".", ".."):
            problems.append(
                Problem(
                    ("volumeGroup",),
                    f"{self.volumeGroup} is not a valid LVM volume group name: letters, digits "
                    "and + _ . -, not starting with '-'",
                )
            )
        seen: set[int] = set()
        for index, port in enumerate(self.guestManagementPorts):
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
        if problems:
            raise SpecProblem(problems)
        return self


def _api_tls_problems(host: ProxmoxHostSpec) -> list[Problem]:
    problems: list[Problem] = []
    if host.apiEndpoint.scheme != "https":
        # bpg/terraform-provider-proxmox proxmox/api/client.go refuses any other scheme.
        problems.append(
            Problem(
                ("apiEndpoint",),
                f"{host.apiEndpoint} is not https; the Proxmox provider only talks https, "
                "e.g. https://pve.example.com:8006/",
            )
        )
    if host.insecureTls and host.apiCaBundle is not None:
        problems.append(
            Problem(
                ("apiCaBundle",),
                f"{host.apiCaBundle} is never used while insecureTls is true (nothing is "
                "verified); set insecureTls to false to verify against it, or drop apiCaBundle",
            )
        )
    if host.api_host_is_ip and not host.insecureTls and host.apiCaBundle is None:
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
    if host.mergeDataIntoRoot and host.containerDatastore == LOCAL_THIN_STORAGE:
        return [
            Problem(
                ("containerDatastore",),
                f"{host.containerDatastore} is the `data` thin pool that mergeDataIntoRoot "
                f"removes; place containers on {LOCAL_DIR_STORAGE} (or another storage), or set "
                "mergeDataIntoRoot to false",
            )
        ]
    return []


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


class ServiceSpec(_Strict):
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


class ForwardSpec(_Strict):
    protocol: Literal["tcp", "udp"] = Field(description="Transport protocol: tcp or udp.")
    ports: PortRange = Field(
        description="Public port or inclusive range low-high (e.g. 443 or 50000-60000)."
    )
    to: str = Field(description="Name of the service (under platform:services) that receives it.")
    description: str = Field(default="", description="Why this port is public.")


class PlatformSpec(_Strict):
    """Everything under the ``platform`` config namespace of one stack."""

    host: ProxmoxHostSpec = Field(description="The Proxmox VE node.")
    natBridge: NatBridgeSpec = Field(description="The private routed-NAT bridge.")
    services: dict[str, ServiceSpec] = Field(
        description="LXC services by name (lower-case, e.g. livekit).", min_length=1
    )
    forwards: list[ForwardSpec] = Field(
        default_factory=list,
        description="Public ports DNAT-forwarded to a service; everything else stays private.",
    )
    containerSshKeys: list[str] = Field(
        default_factory=list, description="SSH public keys installed for root in every container."
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> PlatformSpec:
        problems = [
            *_check_service_names(self),
            *_check_nat_bridge(self),
            *_check_service_uniqueness(self),
            *_check_forwards(self),
        ]
        if problems:
            raise SpecProblem(problems)
        return self

    def hostname_of(self, service: str) -> str:
        return self.services[service].hostname or service


def _check_service_names(spec: PlatformSpec) -> list[Problem]:
    return [
        Problem(
            ("services", name),
            f"{name} is not a valid service name: lower-case letter first, then lower-case "
            "letters, digits or hyphens, at most 31 characters",
        )
        for name in spec.services
        if not _NAME_RE.fullmatch(name)
    ]


def _check_nat_bridge(spec: PlatformSpec) -> list[Problem]:
    bridge = spec.natBridge
    problems: list[Problem] = []
    if bridge.subnet.prefixlen > 30:
        problems.append(
            Problem(
                ("natBridge", "address"),
                f"{bridge.address} leaves no room for guests; use /30 or wider",
            )
        )
    elif (kind := _reserved_kind(bridge.gateway, bridge.subnet)) is not None:
        problems.append(
            Problem(
                ("natBridge", "address"),
                f"{bridge.address} uses the {kind} address of {bridge.subnet}; "
                "use a host address such as "
                f"{bridge.subnet.network_address + 1}/{bridge.subnet.prefixlen}",
            )
        )
    if not any(bridge.subnet.subnet_of(net) for net in RFC1918_NETWORKS):
        problems.append(
            Problem(
                ("natBridge", "address"),
                f"{bridge.subnet} is not a private network; use an RFC 1918 range such as "
                "10.0.0.0/24",
            )
        )
    if bridge.name == spec.host.uplinkBridge:
        problems.append(
            Problem(
                ("natBridge", "name"),
                f"{bridge.name} is the uplink bridge; the NAT bridge must be a separate bridge",
            )
        )
    if spec.host.publicAddress in bridge.subnet:
        problems.append(
            Problem(
                ("host", "publicAddress"),
                f"{spec.host.publicAddress} is inside the NAT bridge subnet {bridge.subnet}; "
                "the public address must lie outside it: move platform:natBridge.address to "
                "another private range",
            )
        )
    return problems


def _reserved_kind(address: IPv4Address, subnet: IPv4Network) -> str | None:
    if address == subnet.network_address:
        return "network"
    if address == subnet.broadcast_address:
        return "broadcast"
    return None


def _check_service_uniqueness(spec: PlatformSpec) -> list[Problem]:
    subnet = spec.natBridge.subnet
    problems: list[Problem] = []
    seen: dict[tuple[str, object], str] = {}
    for name, service in spec.services.items():
        address = service.address
        if address not in subnet:
            problems.append(
                Problem(
                    ("services", name, "address"),
                    f"{address} is outside the NAT bridge subnet {subnet}",
                )
            )
        elif address == spec.natBridge.gateway:
            problems.append(
                Problem(
                    ("services", name, "address"),
                    f"{address} is the NAT bridge gateway; pick another address in {subnet}",
                )
            )
        elif (kind := _reserved_kind(address, subnet)) is not None:
            problems.append(
                Problem(
                    ("services", name, "address"),
                    f"{address} is the {kind} address of {subnet}; pick a host address between "
                    f"{subnet.network_address + 1} and {subnet.broadcast_address - 1}, other than "
                    f"the gateway {spec.natBridge.gateway}",
                )
            )
        for key, value in (
            ("address", address),
            ("vmId", service.vmId),
            ("hostname", spec.hostname_of(name)),
        ):
            owner = seen.setdefault((key, value), name)
            if owner != name:
                # A hostname left out defaults to the service name: say so on either side.
                mine = " (the service name)" if key == "hostname" and not service.hostname else ""
                theirs = (
                    " (its service name)"
                    if key == "hostname" and not spec.services[owner].hostname
                    else ""
                )
                allowed = f"{key} in {subnet}" if key == "address" else key
                problems.append(
                    Problem(
                        ("services", name, key),
                        f"{value}{mine} is already the {key} of platform:services.{owner}{theirs}; "
                        f"each service needs its own {allowed}",
                    )
                )
    return problems


def _check_forwards(spec: PlatformSpec) -> list[Problem]:
    problems: list[Problem] = []
    claimed: dict[str, list[tuple[int, PortRange]]] = defaultdict(list)
    for index, forward in enumerate(spec.forwards):
        if forward.to not in spec.services:
            known = ", ".join(sorted(spec.services))
            problems.append(
                Problem(
                    ("forwards", index, "to"),
                    f"{forward.to} is not a service; known services: {known}",
                )
            )
        if forward.protocol == "tcp":
            for port, use in HOST_RESERVED_TCP_PORTS.items():
                if port not in forward.ports:
                    continue
                if forward.ports.start == forward.ports.end:
                    message = (
                        f"{forward.ports} is reserved: the host needs tcp {port} for {use}; "
                        "forward another port"
                    )
                else:
                    message = (
                        f"{forward.ports} includes tcp {port}, which the host needs for {use}; "
                        f"forward a range without {port}"
                    )
                problems.append(Problem(("forwards", index, "ports"), message))
        for other_index, other in claimed[forward.protocol]:
            if other.overlaps(forward.ports):
                problems.append(
                    Problem(
                        ("forwards", index, "ports"),
                        f"{forward.protocol} {forward.ports} overlaps {forward.protocol} {other} "
                        f"of platform:forwards[{other_index}]; "
                        "each public port goes to one service",
                    )
                )
        claimed[forward.protocol].append((index, forward.ports))
    return problems
