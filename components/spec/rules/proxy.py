"""The proxy: the service it names, its network, and the routes that go through it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from components.proxies.base import ProxyBase
from components.proxies.kinds import ProxyKind, proxy_kind

from ..errors import Problem
from ..images import parse_image
from ..partial import parsed
from ..services import ForwardExpose, RouteExpose, ServiceSpec
from ._shared import known

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    if not parsed(spec, "proxy") or spec.proxy is None or not parsed(spec.proxy, "service"):
        return
    proxy = spec.proxy
    service = spec.services.get(proxy.service)
    if service is None and spec.declared("services", proxy.service):
        return
    if service is None:
        yield Problem(
            ("proxy", "service"),
            f"{proxy.service} is not a service; known services: {known(spec.services)}",
        )
        return
    if parsed(proxy, "kind"):
        yield from _hand_written_public_ports(proxy.service, service, proxy_kind(proxy))
        yield from proxy_kind(proxy).problems(spec)
    if (
        parsed(proxy, "network")
        and proxy.network is not None
        and parsed(service, "networks")
        and proxy.network not in service.networks
    ):
        yield Problem(
            ("proxy", "network"),
            f"{proxy.network} is not one of the networks of {proxy.service} "
            f"({known(service.networks)})",
        )


def _hand_written_public_ports(
    name: str, service: ServiceSpec, kind: ProxyKind
) -> Iterator[Problem]:
    if not parsed(service, "expose"):
        return
    implied = {(p.protocol, p.port) for p in kind.PUBLIC_PORTS}
    for index, expose in enumerate(service.expose):
        if (
            isinstance(expose, ForwardExpose)
            and expose.ports.start == expose.ports.end
            and (expose.protocol, expose.ports.start) in implied
        ):
            yield Problem(
                ("services", name, "expose", index),
                f"forward {expose.protocol} {expose.ports}: the proxy's public ports "
                f"({', '.join(f'{p.protocol} {p.port}' for p in kind.PUBLIC_PORTS)}) come from "
                f"platform:proxy (kind {kind.KIND}); remove this exposure",
            )


def _auth_problems(
    proxy: ProxyBase, service: ServiceSpec, route: RouteExpose, loc: tuple[str | int, ...]
) -> Iterator[Problem]:
    auth = route.auth
    assert auth is not None
    asked = {form for form in ("users", "allowFrom") if getattr(auth, form)}
    if parsed(proxy, "kind"):
        applied = proxy_kind(proxy).AUTH
        for form in sorted(asked - applied):
            yield Problem(
                (*loc, form),
                f"route {route.host}{route.path}: the {proxy.kind} proxy does not apply {form} "
                f"yet (it applies: {', '.join(sorted(applied)) or 'no route authentication'}); "
                "the route would be open to everyone, so it is refused",
            )
    app = parse_image(service.image).uses_authorization_header if parsed(service, "image") else None
    if app is not None and auth.users:
        yield Problem(
            (*loc, "users"),
            f"route {route.host}{route.path}: {app} reads the Authorization header itself, so "
            "basic auth at the proxy breaks its login; protect it with allowFrom (source "
            "networks) instead",
        )


def route_problems(
    spec: PlatformSpec,
    name: str,
    service: ServiceSpec,
    route: RouteExpose,
    loc: tuple[str | int, ...],
) -> Iterator[Problem]:
    """Whether the proxy can reach ``route`` of ``service``: on its own engine through a shared
    network, or on a guest of the same Proxmox host."""
    if not parsed(spec, "proxy"):
        return
    proxy = spec.proxy
    if proxy is not None and parsed(route, "auth") and route.auth is not None:
        yield from _auth_problems(proxy, service, route, (*loc, "auth"))
    if proxy is None:
        yield Problem(
            loc,
            f"route {route.host}{route.path} needs a proxy; declare platform:proxy with the "
            "service that terminates HTTPS",
        )
        return
    if not parsed(proxy, "service") or proxy.service not in spec.services:
        return  # platform:proxy.service is reported on its own, or has no model
    proxy_service = spec.services[proxy.service]
    if not (parsed(service, "machine") and parsed(proxy_service, "machine")):
        return
    machines = (service.machine, proxy_service.machine)
    hosts = [spec.known_host_of(m) for m in machines]
    if any(m not in spec.machines() for m in machines) or any(
        spec.is_guest(m) and h not in spec.proxmox_hosts()
        for m, h in zip(machines, hosts, strict=True)
    ):
        return  # the unknown machine, or the guest's unknown host, is reported on its own
    if proxy_service.machine == service.machine:
        if parsed(service, "networkMode") and service.networkMode == "host":
            # It joins no network: the proxy reaches it at the machine's address
            # (derive/exposure.proxy_routes), which a cloud server has only once it exists.
            if service.machine in spec.hosts and spec.machine_address(service.machine) is None:
                yield Problem(
                    loc,
                    f"route {route.host}{route.path}: {name} uses the host network on "
                    f"{service.machine}, whose address the proxy {proxy.service} would learn "
                    "only once the server exists; use networkMode bridge on the proxy's network",
                )
            return
        if not (
            parsed(proxy, "network")
            and parsed(service, "networks")
            and parsed(proxy_service, "networks")
        ):
            return
        shared = set(proxy_service.networks) & set(service.networks)
        wanted = proxy.network
        if (wanted is not None and wanted not in service.networks) or not shared:
            network = wanted or known(proxy_service.networks)
            yield Problem(
                loc,
                f"route {route.host}{route.path} goes through {proxy.service}, but {name} is not "
                f"on the proxy's network ({network}); add it to the service's networks",
            )
        return
    same_bridge = all(spec.is_guest(m) for m in machines) and hosts[0] == hosts[1]
    if not same_bridge:
        yield Problem(
            loc,
            f"route {route.host}{route.path}: the proxy {proxy.service} runs on "
            f"{proxy_service.machine} and {name} on {service.machine}; a proxy reaches services "
            "on its own engine, or on guests of the same Proxmox host",
        )
