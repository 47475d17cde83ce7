"""Services: the machine they run on, the networks they join, how they are exposed, and the
policy exceptions they declare."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from components.apps.kinds import app_of

from ..errors import Problem
from ..images import parse_image
from ..partial import parsed
from ..proxmox import ProxmoxHostSpec
from ..services import ForwardExpose, PrivateExpose, ServiceSpec
from ._shared import known
from .proxy import route_problems

if TYPE_CHECKING:
    from ..platform import PlatformSpec

_RULE_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    machines = spec.machines()
    for name, service in spec.services.items():
        at: tuple[str | int, ...] = ("services", name)
        if parsed(service, "machine"):
            yield from _machine(spec, machines, at, service.machine)
        yield from _networks(spec, name, service)
        yield from _volumes(name, service)
        yield from _exposes(spec, name, service)
        if parsed(service, "policyExceptions"):
            yield from _policy_exceptions(at, service)


def _machine(
    spec: PlatformSpec, machines: list[str], at: tuple[str | int, ...], machine: str
) -> Iterator[Problem]:
    host = spec.hosts.get(machine)
    if isinstance(host, ProxmoxHostSpec):
        guests = known(spec.guests_of(machine))
        yield Problem(
            (*at, "machine"),
            f"{machine} is a Proxmox host, which runs no Docker engine itself; place the "
            f"service on one of its guests: {guests}",
        )
    elif machine not in machines and not (
        spec.declared("hosts", machine) or spec.declared("guests", machine)
    ):
        yield Problem(
            (*at, "machine"), f"{machine} is not a host or guest; known: {known(machines)}"
        )


def _policy_exceptions(at: tuple[str | int, ...], service: ServiceSpec) -> Iterator[Problem]:
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
    if not parsed(service, "networks"):
        return
    # With an invalid networkMode the networks named must still exist.
    mode = service.networkMode if parsed(service, "networkMode") else None
    if mode == "host":
        if service.networks:
            yield Problem(
                (*at, "networks"),
                f"{', '.join(service.networks)}: a service with networkMode host joins no Docker "
                "network; remove the networks or use networkMode bridge",
            )
        return
    if mode == "bridge" and not service.networks:
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


def _volumes(name: str, service: ServiceSpec) -> Iterator[Problem]:
    if not parsed(service, "volumes"):
        return
    at: tuple[str | int, ...] = ("services", name)
    seen_volumes: set[str] = set()
    for index, volume in enumerate(service.volumes):
        if volume.name in seen_volumes:
            yield Problem(
                (*at, "volumes", index, "name"),
                f"{volume.name} is mounted twice by this service; mount each volume once",
            )
        seen_volumes.add(volume.name)


def _exposes(spec: PlatformSpec, name: str, service: ServiceSpec) -> Iterator[Problem]:
    if not parsed(service, "expose"):
        return
    # What an invalid image runs, or how a service with an invalid networkMode publishes, is
    # unknown: those checks wait for the field to be fixed.
    database = parse_image(service.image).database if parsed(service, "image") else None
    # An app's checks read the service's exposures and environment.
    app = app_of(service) if parsed(service, "app", "env") else None
    if app is not None:
        yield from app.problems(name, service)
    for index, expose in enumerate(service.expose):
        loc: tuple[str | int, ...] = ("services", name, "expose", index)
        if isinstance(expose, ForwardExpose):
            if database is not None:
                yield Problem(
                    loc,
                    f"forward {expose.protocol} {expose.ports} would open {service.image} "
                    f"({database}) to the internet; a database stays internal: reach it over a "
                    "network, or a private exposure between guests",
                )
        elif isinstance(expose, PrivateExpose):
            if (
                parsed(service, "machine")
                and not spec.is_guest(service.machine)
                # A guest that has no model at all is still a guest.
                and not spec.declared("guests", service.machine)
            ):
                yield Problem(
                    loc,
                    f"private {expose.protocol} {expose.ports}: a private exposure reaches other "
                    f"guests on a NAT bridge, and {service.machine} is not a guest; use a network",
                )
        else:
            yield from route_problems(spec, name, service, expose, loc)
