"""What every proxy kind's spec has: the service that is the proxy and its network."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from components.spec.common import Name, Strict
from components.values import AppContribution

if TYPE_CHECKING:
    from components.derive.exposure import ProxyRoute
    from components.spec.errors import Problem
    from components.spec.platform import PlatformSpec
    from components.spec.services import ServiceSpec


class ProxyBase(Strict):
    """The fields of ``platform:proxy`` every kind has (each kind narrows ``kind``)."""

    kind: str = Field(description="What the proxy is: traefik, nginx-proxy-manager or nginx.")
    service: Name = Field(description="The service (under platform:services) that is the proxy.")
    network: Name | None = Field(
        default=None,
        description="The proxy's network to routed services on its engine (Traefik: web).",
    )


@dataclass(frozen=True)
class PublicPort:
    """A port the proxy serves to the internet: a forward the stack derives, never writes."""

    protocol: Literal["tcp", "udp"]
    port: int
    description: str


# The forms of route authentication (RouteAuth's fields) a kind can apply. A kind lists those it
# configures in ``AUTH``; the spec refuses a route asking for another, since a form the proxy
# ignored would leave the route open to everyone.
AuthForm = Literal["users", "allowFrom"]

# Every kind terminates HTTP(S) on the standard ports.
WEB_PORTS = (
    PublicPort("tcp", 80, "HTTP to the proxy (ACME challenges, redirect to HTTPS)"),
    PublicPort("tcp", 443, "HTTPS to the proxy (TLS termination)"),
)


def proxy_service(spec: PlatformSpec) -> ServiceSpec | None:
    """The service that is the proxy, when ``platform:proxy.service`` parsed and names one."""
    from components.spec.partial import parsed  # noqa: PLC0415 -- see components/proxies

    proxy = spec.proxy
    assert proxy is not None
    return spec.services.get(proxy.service) if parsed(proxy, "service") else None


def command_refused(spec: PlatformSpec, why: str) -> Iterator[Problem]:
    """The proxy service's ``command``, for a kind whose image must keep its own (``why``)."""
    from components.spec.errors import Problem  # noqa: PLC0415
    from components.spec.partial import parsed  # noqa: PLC0415

    service = proxy_service(spec)
    if service is not None and parsed(service, "command") and service.command is not None:
        assert spec.proxy is not None
        yield Problem(("services", spec.proxy.service, "command"), f"is set: {why}")


# The hooks of a kind that adds nothing (yet): no checks, no labels, nothing in its container.
def no_problems(spec: PlatformSpec) -> Iterator[Problem]:
    return iter(())


def no_route_labels(
    proxy: ProxyBase, service: str, routes: Sequence[ProxyRoute], network: str | None
) -> Mapping[str, str]:
    return {}


def nothing_added(
    proxy: ProxyBase, service: ServiceSpec, network: str | None, routes: Sequence[ProxyRoute]
) -> AppContribution:
    return AppContribution()
