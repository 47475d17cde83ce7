"""Services: the machine they run on, the networks they join, how they are exposed, and the
policy exceptions they declare."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem
from ..images import parse_image
from ..proxmox import ProxmoxHostSpec
from ..services import ForwardExpose, PrivateExpose, RouteExpose, ServiceSpec
from ._shared import known
from .proxy import route_problems

if TYPE_CHECKING:
    from ..platform import PlatformSpec

_RULE_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# Docker publishes each port of a range as its own binding (and, with its userland proxy, its
# own process): past this width a service belongs on the host network.
MAX_PUBLISHED_RANGE = 1000


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    machines = spec.machines()
    for name, service in spec.services.items():
        at: tuple[str | int, ...] = ("services", name)
        host = spec.hosts.get(service.machine)
        if isinstance(host, ProxmoxHostSpec):
            guests = known(spec.guests_of(service.machine))
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
                f"{service.machine} is not a host or guest; known: {known(machines)}",
            )
        yield from _networks(spec, name, service)
        yield from _exposes(spec, name, service)
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


def _networks(spec: PlatformSpec, name: str, service: ServiceSpec) -> Iterator[Problem]:
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
            f"({known(spec.networks)})",
        )
    for index, network in enumerate(service.networks):
        if not spec.declared("networks", network):
            yield Problem(
                (*at, "networks", index),
                f"{network} is not a network; known networks: {known(spec.networks)}",
            )
    seen_volumes: set[str] = set()
    for index, volume in enumerate(service.volumes):
        if volume.name in seen_volumes:
            yield Problem(
                (*at, "volumes", index, "name"),
                f"{volume.name} is mounted twice by this service; mount each volume once",
            )
        seen_volumes.add(volume.name)


def _exposes(spec: PlatformSpec, name: str, service: ServiceSpec) -> Iterator[Problem]:
    database = parse_image(service.image).database
    yield from _livekit_ports(name, service)
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
            yield from route_problems(spec, name, service, expose, loc)


def _livekit_ports(name: str, service: ServiceSpec) -> Iterator[Problem]:
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
