"""The whole ``platform`` namespace of a stack, and every rule that spans more than one field.

Every rule returns problems instead of raising, so one validation reports all of them, each
with the config path of the offending value.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated

from pydantic import Field, PrivateAttr, model_validator

from .common import SshPublicKey, Strict
from .errors import Problem, SpecProblem
from .hosts import CloudServerSpec, DropletHostSpec, HcloudHostSpec, SshHostSpec
from .images import parse_image
from .ports import PortRange
from .proxmox import HOST_RESERVED_TCP_PORTS, RFC1918_NETWORKS, GuestSpec, ProxmoxHostSpec
from .services import (
    ForwardExpose,
    NetworkSpec,
    PrivateExpose,
    ProxySpec,
    RouteExpose,
    ServiceSpec,
)

HostSpec = Annotated[
    ProxmoxHostSpec | DropletHostSpec | HcloudHostSpec | SshHostSpec,
    Field(discriminator="kind"),
]
DockerHost = DropletHostSpec | HcloudHostSpec | SshHostSpec

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_RULE_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# On a server of its own, SSH is the one port the host keeps for itself.
CLOUD_RESERVED_TCP_PORTS: dict[int, str] = {22: "SSH to the server"}
# Docker publishes each port of a range as its own binding (and, with its userland proxy, its
# own process): past this width a service belongs on the host network.
MAX_PUBLISHED_RANGE = 1000


@dataclass(frozen=True)
class Publication:
    """A port a service holds on its machine: through Docker, or its own with host networking."""

    service: str
    protocol: str
    ports: PortRange
    reason: str  # "forward", "route" or "private"
    loc: tuple[str | int, ...]


class PlatformSpec(Strict):
    """Everything under the ``platform`` config namespace of one stack."""

    hosts: dict[str, HostSpec] = Field(
        min_length=1, description="Hosts by name: kind proxmox, droplet, hcloud or ssh."
    )
    guests: dict[str, GuestSpec] = Field(
        default_factory=dict, description="LXC guests on Proxmox hosts, by name."
    )
    networks: dict[str, NetworkSpec] = Field(
        default_factory=dict, description="Docker networks by name; members come from services."
    )
    services: dict[str, ServiceSpec] = Field(
        default_factory=dict, description="Containers by name (lower-case, e.g. livekit)."
    )
    proxy: ProxySpec | None = Field(
        default=None, description="The service every `route` exposure goes through."
    )
    adminSshKeys: list[SshPublicKey] = Field(
        default_factory=list,
        description="SSH public keys of the administrators: guests' root, servers' admin user.",
    )

    # Entries that failed their own validation ("services.mysql"): when the loader checks a
    # partial spec, references to them are not reported again as unknown.
    _unvalidated: frozenset[str] = PrivateAttr(default=frozenset())

    @model_validator(mode="after")
    def _cross_field_rules(self) -> PlatformSpec:
        problems = cross_field_problems(self)
        if problems:
            raise SpecProblem(problems)
        return self

    def declared(self, section: str, name: str) -> bool:
        """Whether ``name`` is declared in ``section``, valid or not."""
        return name in getattr(self, section) or f"{section}.{name}" in self._unvalidated

    # -- topology: which machine runs what, and where it lives --------------------------------

    def machines(self) -> list[str]:
        """Every place a Docker engine can run: guests, and hosts of a Docker kind."""
        return sorted([*self.guests, *(n for n, h in self.hosts.items() if not _is_proxmox(h))])

    def host_of(self, machine: str) -> str:
        """The host a machine lives on: a guest's Proxmox host, or the host itself."""
        guest = self.guests.get(machine)
        return guest.host if guest is not None else machine

    def is_guest(self, machine: str) -> bool:
        return machine in self.guests

    def hostname_of(self, guest: str) -> str:
        return self.guests[guest].hostname or guest

    def proxmox_hosts(self) -> dict[str, ProxmoxHostSpec]:
        return {n: h for n, h in self.hosts.items() if isinstance(h, ProxmoxHostSpec)}

    def guests_of(self, host: str) -> dict[str, GuestSpec]:
        return {n: g for n, g in self.guests.items() if g.host == host}

    def services_on(self, machine: str) -> dict[str, ServiceSpec]:
        return {n: s for n, s in self.services.items() if s.machine == machine}

    def publications(self, service: str) -> list[Publication]:
        """What ``service`` holds on its machine's address: forwards, private ports, and routes
        from a proxy on another machine (which reaches the service at that address)."""
        spec = self.services[service]
        proxy_machine = self._proxy_machine()
        found: list[Publication] = []
        for index, expose in enumerate(spec.expose):
            loc: tuple[str | int, ...] = ("services", service, "expose", index)
            if isinstance(expose, ForwardExpose):
                found.append(Publication(service, expose.protocol, expose.ports, "forward", loc))
            elif isinstance(expose, PrivateExpose):
                found.append(Publication(service, expose.protocol, expose.ports, "private", loc))
            elif proxy_machine is not None and proxy_machine != spec.machine:
                port = PortRange(start=expose.port, end=expose.port)
                found.append(Publication(service, "tcp", port, "route", loc))
        return _unique_publications(found)

    def _proxy_machine(self) -> str | None:
        if self.proxy is None or self.proxy.service not in self.services:
            return None
        return self.services[self.proxy.service].machine


def cross_field_problems(spec: PlatformSpec) -> list[Problem]:
    return [
        *_check_names(spec),
        *_check_proxmox_hosts(spec),
        *_check_cloud_hosts(spec),
        *_check_guests(spec),
        *_check_networks(spec),
        *_check_services(spec),
        *_check_proxy(spec),
        *_check_publications(spec),
    ]


def _is_proxmox(host: object) -> bool:
    return isinstance(host, ProxmoxHostSpec)


def _unique_publications(found: list[Publication]) -> list[Publication]:
    # Two routes to one port (two host names) are one publication.
    seen: set[tuple[str, int, int]] = set()
    unique = []
    for item in found:
        key = (item.protocol, item.ports.start, item.ports.end)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _known(names: object) -> str:
    items = sorted(names)  # type: ignore[call-overload]
    return ", ".join(items) if items else "none declared"


def _check_names(spec: PlatformSpec) -> Iterator[Problem]:
    for section in ("hosts", "guests", "networks", "services"):
        for name in getattr(spec, section):
            if not _NAME_RE.fullmatch(name):
                yield Problem(
                    (section, name),
                    f"{name} is not a valid name: a lower-case letter, then lower-case letters, "
                    "digits or hyphens, at most 31 characters",
                )
    for name in sorted(set(spec.hosts) & set(spec.guests)):
        yield Problem(
            ("guests", name),
            f"{name} is already a host name; hosts and guests share one namespace because "
            "services name either as their machine",
        )


def _check_proxmox_hosts(spec: PlatformSpec) -> Iterator[Problem]:
    for name, host in spec.proxmox_hosts().items():
        yield from _check_nat_bridge(name, host)
        engines = sorted(guest for guest in spec.guests_of(name) if spec.services_on(guest))
        if engines and host.sshHostKey is None:
            yield Problem(
                ("hosts", name, "sshHostKey"),
                f"is required: the Docker engines of {', '.join(engines)} are reached through "
                f"{name} as SSH jump host, and an unpinned jump would accept any key; set it to "
                "the content of the host's /etc/ssh/ssh_host_ed25519_key.pub",
            )


def _check_nat_bridge(name: str, host: ProxmoxHostSpec) -> Iterator[Problem]:
    bridge = host.natBridge
    at: tuple[str | int, ...] = ("hosts", name, "natBridge")
    if bridge.subnet.prefixlen > 30:
        yield Problem(
            (*at, "address"), f"{bridge.address} leaves no room for guests; use /30 or wider"
        )
    elif (kind := _reserved_kind(bridge.gateway, bridge.subnet)) is not None:
        yield Problem(
            (*at, "address"),
            f"{bridge.address} uses the {kind} address of {bridge.subnet}; use a host address "
            f"such as {bridge.subnet.network_address + 1}/{bridge.subnet.prefixlen}",
        )
    if not any(bridge.subnet.subnet_of(net) for net in RFC1918_NETWORKS):
        yield Problem(
            (*at, "address"),
            f"{bridge.subnet} is not a private network; use an RFC 1918 range such as 10.0.0.0/24",
        )
    if bridge.name == host.uplinkBridge:
        yield Problem(
            (*at, "name"),
            f"{bridge.name} is the uplink bridge; the NAT bridge must be a separate bridge",
        )
    if host.publicAddress in bridge.subnet:
        yield Problem(
            ("hosts", name, "publicAddress"),
            f"{host.publicAddress} is inside the NAT bridge subnet {bridge.subnet}; the public "
            f"address must lie outside it: move platform:hosts.{name}.natBridge.address to "
            "another private range",
        )


def _check_cloud_hosts(spec: PlatformSpec) -> Iterator[Problem]:
    needs_keys = [n for n, h in spec.hosts.items() if isinstance(h, CloudServerSpec)]
    if needs_keys and not spec.adminSshKeys:
        yield Problem(
            ("adminSshKeys",),
            f"is empty, but the servers {', '.join(needs_keys)} are created with SSH key login "
            "only; add at least one SSH public key",
        )
    for name, host in spec.hosts.items():
        if not isinstance(host, CloudServerSpec):
            continue
        for index, network in enumerate(host.sshAllowedFrom):
            if network.prefixlen < 8:
                yield Problem(
                    ("hosts", name, "sshAllowedFrom", index),
                    f"{network} opens SSH to a large part of the internet; allow your admin "
                    "networks only (a prefix of /8 or longer)",
                )


def _reserved_kind(address: IPv4Address, subnet: IPv4Network) -> str | None:
    if address == subnet.network_address:
        return "network"
    if address == subnet.broadcast_address:
        return "broadcast"
    return None


def _check_guests(spec: PlatformSpec) -> Iterator[Problem]:
    seen: dict[tuple[str, str, object], str] = {}
    for name, guest in spec.guests.items():
        host = spec.hosts.get(guest.host)
        if isinstance(host, ProxmoxHostSpec):
            yield from _check_guest_address(spec, name, guest, host)
        elif not (host is None and spec.declared("hosts", guest.host)):
            proxmox = _known(spec.proxmox_hosts())
            what = "is not a host" if host is None else f"is a {host.kind} host, not proxmox"
            yield Problem(
                ("guests", name, "host"),
                f"{guest.host} {what}; guests run on a Proxmox host: {proxmox}",
            )
            continue
        # A host that failed its own validation still has guests that must not collide.
        for key, value in (
            ("address", guest.address),
            ("vmId", guest.vmId),
            ("hostname", spec.hostname_of(name)),
        ):
            owner = seen.setdefault((guest.host, key, value), name)
            if owner != name:
                mine = " (the guest name)" if key == "hostname" and not guest.hostname else ""
                yield Problem(
                    ("guests", name, key),
                    f"{value}{mine} is already the {key} of platform:guests.{owner} on host "
                    f"{guest.host}; each guest needs its own {key}",
                )


def _check_guest_address(
    spec: PlatformSpec, name: str, guest: GuestSpec, host: ProxmoxHostSpec
) -> Iterator[Problem]:
    subnet, gateway = host.natBridge.subnet, host.natBridge.gateway
    loc = ("guests", name, "address")
    if guest.address not in subnet:
        yield Problem(loc, f"{guest.address} is outside the NAT bridge subnet {subnet}")
    elif guest.address == gateway:
        yield Problem(
            loc, f"{guest.address} is the NAT bridge gateway; pick another address in {subnet}"
        )
    elif (kind := _reserved_kind(guest.address, subnet)) is not None:
        yield Problem(
            loc,
            f"{guest.address} is the {kind} address of {subnet}; pick a host address between "
            f"{subnet.network_address + 1} and {subnet.broadcast_address - 1}, other than the "
            f"gateway {gateway}",
        )


def _check_networks(spec: PlatformSpec) -> Iterator[Problem]:
    seen: dict[tuple[str, object], str] = {}
    for name, network in spec.networks.items():
        for key, value in (
            ("dockerName", network.dockerName or name),
            ("bridgeName", network.bridgeName),
        ):
            if value is None:
                continue
            owner = seen.setdefault((key, value), name)
            if owner != name:
                yield Problem(
                    ("networks", name, key),
                    f"{value} is already the {key} of platform:networks.{owner}; each network "
                    f"needs its own {key}",
                )
        if network.subnet is None:
            continue
        for other_name, other in spec.networks.items():
            if (
                other_name < name
                and other.subnet is not None
                and other.subnet.overlaps(network.subnet)
            ):
                yield Problem(
                    ("networks", name, "subnet"),
                    f"{network.subnet} overlaps {other.subnet} of platform:networks.{other_name}; "
                    "Docker refuses overlapping pools",
                )


def _check_services(spec: PlatformSpec) -> Iterator[Problem]:
    machines = spec.machines()
    for name, service in spec.services.items():
        at: tuple[str | int, ...] = ("services", name)
        host = spec.hosts.get(service.machine)
        if isinstance(host, ProxmoxHostSpec):
            guests = _known(spec.guests_of(service.machine))
            yield Problem(
                (*at, "machine"),
                f"{service.machine} is a Proxmox host, which runs no Docker engine itself; "
                f"place the service on one of its guests: {guests}",
            )
        elif service.machine not in machines and not (
            spec.declared("hosts", service.machine) or spec.declared("guests", service.machine)
        ):
            yield Problem(
                (*at, "machine"),
                f"{service.machine} is not a host or guest; known: {_known(machines)}",
            )
        yield from _check_service_networks(spec, name, service)
        yield from _check_service_exposes(spec, name, service)
        for rule, reason in service.policyExceptions.items():
            if not _RULE_RE.fullmatch(rule):
                yield Problem(
                    (*at, "policyExceptions", rule),
                    f"{rule} is not a policy rule name: lower-case words joined by hyphens, as "
                    "listed in policies/README.md",
                )
            elif not reason.strip():
                yield Problem(
                    (*at, "policyExceptions", rule),
                    "has no reason; say why the service needs the exception",
                )


def _check_service_networks(
    spec: PlatformSpec, name: str, service: ServiceSpec
) -> Iterator[Problem]:
    at: tuple[str | int, ...] = ("services", name)
    if service.networkMode == "host":
        if service.networks:
            yield Problem(
                (*at, "networks"),
                f"{', '.join(service.networks)}: a service with networkMode host joins no Docker "
                "network; remove the networks or use networkMode bridge",
            )
        return
    if not service.networks:
        yield Problem(
            (*at, "networks"),
            "is empty: a bridged service joins at least one network of platform:networks "
            f"({_known(spec.networks)})",
        )
    for index, network in enumerate(service.networks):
        if not spec.declared("networks", network):
            yield Problem(
                (*at, "networks", index),
                f"{network} is not a network; known networks: {_known(spec.networks)}",
            )
    seen_volumes: set[str] = set()
    for index, volume in enumerate(service.volumes):
        if volume.name in seen_volumes:
            yield Problem(
                (*at, "volumes", index, "name"),
                f"{volume.name} is mounted twice by this service; mount each volume once",
            )
        seen_volumes.add(volume.name)


def _check_service_exposes(
    spec: PlatformSpec, name: str, service: ServiceSpec
) -> Iterator[Problem]:
    database = parse_image(service.image).database
    yield from _check_livekit_ports(name, service)
    for index, expose in enumerate(service.expose):
        loc: tuple[str | int, ...] = ("services", name, "expose", index)
        ports = None if isinstance(expose, RouteExpose) else expose.ports
        width = 0 if ports is None else ports.end - ports.start + 1
        if service.networkMode == "bridge" and width > MAX_PUBLISHED_RANGE:
            yield Problem(
                (*loc, "ports"),
                f"{ports} publishes {width} ports through Docker, one binding each; at "
                f"most {MAX_PUBLISHED_RANGE}: use networkMode host for a media range this wide",
            )
        if isinstance(expose, ForwardExpose) and database is not None:
            yield Problem(
                loc,
                f"forward {expose.protocol} {expose.ports} would open {service.image} "
                f"({database}) to the internet; a database stays internal: reach it over a "
                "network, or a private exposure between guests",
            )
        elif (
            isinstance(expose, PrivateExpose)
            and not spec.is_guest(service.machine)
            # A guest that failed its own validation is still a guest.
            and not spec.declared("guests", service.machine)
        ):
            yield Problem(
                loc,
                f"private {expose.protocol} {expose.ports}: a private exposure reaches other "
                f"guests on a NAT bridge, and {service.machine} is not a guest; use a network",
            )
        elif isinstance(expose, RouteExpose):
            yield from _check_route(spec, name, service, expose, loc)


def _check_livekit_ports(name: str, service: ServiceSpec) -> Iterator[Problem]:
    if service.livekit is None:
        return
    forwards = [e for e in service.expose if isinstance(e, ForwardExpose)]
    udp = [e for e in forwards if e.protocol == "udp"]
    tcp = [e for e in forwards if e.protocol == "tcp"]
    if len(udp) != 1 or udp[0].ports.start == udp[0].ports.end or len(tcp) != 1:
        yield Problem(
            ("services", name, "expose"),
            f"has {len(udp)} udp and {len(tcp)} tcp forwards; a LiveKit service forwards one "
            "udp range (its WebRTC media ports) and one tcp port (ICE/TCP), which its "
            "livekit.yaml announces",
        )


def _check_route(
    spec: PlatformSpec,
    name: str,
    service: ServiceSpec,
    route: RouteExpose,
    loc: tuple[str | int, ...],
) -> Iterator[Problem]:
    proxy = spec.proxy
    if (
        proxy is not None
        and spec.declared("services", proxy.service)
        and (proxy.service not in spec.services)
    ):
        return
    if proxy is None:
        yield Problem(
            loc,
            f"route {route.host}{route.path} needs a proxy; declare platform:proxy with the "
            "service that terminates HTTPS",
        )
        return
    if proxy.service not in spec.services:
        return  # platform:proxy.service is reported on its own
    proxy_service = spec.services[proxy.service]
    machines = (service.machine, proxy_service.machine)
    if any(m not in spec.machines() for m in machines) or any(
        spec.is_guest(m) and spec.host_of(m) not in spec.proxmox_hosts() for m in machines
    ):
        return  # the unknown machine, or the guest's unknown host, is reported on its own
    if proxy_service.machine == service.machine:
        shared = set(proxy_service.networks) & set(service.networks)
        wanted = proxy.network
        if (wanted is not None and wanted not in service.networks) or not shared:
            network = wanted or _known(proxy_service.networks)
            yield Problem(
                loc,
                f"route {route.host}{route.path} goes through {proxy.service}, but {name} is not "
                f"on the proxy's network ({network}); add it to the service's networks",
            )
        return
    same_bridge = (
        spec.is_guest(service.machine)
        and spec.is_guest(proxy_service.machine)
        and spec.host_of(service.machine) == spec.host_of(proxy_service.machine)
    )
    if not same_bridge:
        yield Problem(
            loc,
            f"route {route.host}{route.path}: the proxy {proxy.service} runs on "
            f"{proxy_service.machine} and {name} on {service.machine}; a proxy reaches services "
            "on its own engine, or on guests of the same Proxmox host",
        )


def _check_proxy(spec: PlatformSpec) -> Iterator[Problem]:
    proxy = spec.proxy
    if proxy is None:
        return
    service = spec.services.get(proxy.service)
    if service is None and spec.declared("services", proxy.service):
        return
    if service is None:
        yield Problem(
            ("proxy", "service"),
            f"{proxy.service} is not a service; known services: {_known(spec.services)}",
        )
        return
    if proxy.network is not None and proxy.network not in service.networks:
        yield Problem(
            ("proxy", "network"),
            f"{proxy.network} is not one of the networks of {proxy.service} "
            f"({_known(service.networks)})",
        )


def _check_publications(spec: PlatformSpec) -> Iterator[Problem]:
    """Two services never hold one port on one machine; edge ports never collide on a host,
    nor take a port the host keeps for itself."""
    on_machine: dict[tuple[str, str], list[Publication]] = {}
    at_edge: dict[tuple[str, str], list[Publication]] = {}
    for name in spec.services:
        service = spec.services[name]
        for item in spec.publications(name):
            machine_items = on_machine.setdefault((service.machine, item.protocol), [])
            for other in machine_items:
                if other.ports.overlaps(item.ports) and other.service != name:
                    yield Problem(
                        item.loc,
                        f"{item.protocol} {item.ports} is already held on {service.machine} by "
                        f"platform:services.{other.service}; two services cannot publish the "
                        "same port on one machine",
                    )
            machine_items.append(item)
            if item.reason != "forward":
                continue
            host_name = spec.host_of(service.machine)
            edge_items = at_edge.setdefault((host_name, item.protocol), [])
            for other in edge_items:
                if other.ports.overlaps(item.ports) and other.service != name:
                    yield Problem(
                        item.loc,
                        f"{item.protocol} {item.ports} is already forwarded on host {host_name} "
                        f"to platform:services.{other.service}; each public port goes to one "
                        "service",
                    )
            edge_items.append(item)
            yield from _reserved_port_problems(spec, host_name, item)


def _reserved_port_problems(
    spec: PlatformSpec, host_name: str, item: Publication
) -> Iterator[Problem]:
    if item.protocol != "tcp" or host_name not in spec.hosts:
        return
    host = spec.hosts[host_name]
    reserved = HOST_RESERVED_TCP_PORTS if _is_proxmox(host) else CLOUD_RESERVED_TCP_PORTS
    for port, use in reserved.items():
        if port in item.ports:
            if item.ports.start == item.ports.end:
                message = (
                    f"{item.ports} is reserved: the host needs tcp {port} for {use}; "
                    "forward another port"
                )
            else:
                message = (
                    f"{item.ports} includes tcp {port}, which the host needs for {use}; forward "
                    f"a range without {port}"
                )
            yield Problem(item.loc, message)
