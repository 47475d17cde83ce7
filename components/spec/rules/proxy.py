"""The proxy: the service it names, its network, and the routes that go through it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem
from ..services import RouteExpose, ServiceSpec
from ._shared import known

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    proxy = spec.proxy
    if proxy is None:
        return
    service = spec.services.get(proxy.service)
    if service is None and spec.declared("services", proxy.service):
        return
    if service is None:
        yield Problem(
            ("proxy", "service"),
            f"{proxy.service} is not a service; known services: {known(spec.services)}",
        )
        return
    if proxy.network is not None and proxy.network not in service.networks:
        yield Problem(
            ("proxy", "network"),
            f"{proxy.network} is not one of the networks of {proxy.service} "
            f"({known(service.networks)})",
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
            network = wanted or known(proxy_service.networks)
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
