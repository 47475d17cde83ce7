"""Traefik v3: the proxy of hub (seed 004). Routes reach it as Docker labels; its static config
is rendered from this block and delivered into its container.

Both sides of the contract come from one place: the entrypoint and resolver names the labels
use are the ones the static config declares (components/render/traefik.py), so a typo cannot
leave a router on an entrypoint that does not exist. Labels follow Traefik's Docker provider
("Routing Configuration"): one router per route exposure, ``Host(`h`)`` plus ``PathPrefix``
when the path is not ``/``, on the HTTPS entrypoint with the stack's certificate resolver, to
the service's port over the proxy's network. Traefik reads the static config from
/etc/traefik/traefik.yml when it is started with no flags; a ``command`` on its service would
replace the file (Traefik takes one source of static config), so the stack refuses one.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from components.spec.common import Name, ShellSafe
from components.values import AppContribution, FilePlan

from .base import WEB_PORTS, AuthForm, ProxyBase

if TYPE_CHECKING:
    from components.derive.exposure import ProxyRoute
    from components.spec.errors import Problem
    from components.spec.platform import PlatformSpec
    from components.spec.services import ServiceSpec

KIND = "traefik"
PUBLIC_PORTS = WEB_PORTS
# Route authentication this kind configures (none yet: routes asking for it are refused).
AUTH: frozenset[AuthForm] = frozenset()
_EMAIL = r"^[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"


class Spec(ProxyBase):
    kind: Literal["traefik"] = Field(description="Traefik, routing by Docker labels.")
    network: Name = Field(
        description="Traefik's network to the routed services (its Docker provider's network)."
    )
    certResolver: ShellSafe = Field(
        default="letsencrypt",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        description="Name of the ACME certificate resolver of routed services.",
    )
    acmeEmail: str = Field(
        pattern=_EMAIL, description="Contact email of the ACME (Let's Encrypt) account."
    )
    challenge: Literal["tls", "http"] = Field(
        default="tls",
        description="ACME challenge: tls (TLS-ALPN-01 on 443) or http (HTTP-01 on 80).",
    )
    acmeStorage: str = Field(
        default="/letsencrypt/acme.json",
        pattern=r"^/[A-Za-z0-9._/-]+$",
        description="acme.json in the container; keep its directory on a volume.",
    )


def _spec(proxy: ProxyBase) -> Spec:
    assert isinstance(proxy, Spec)
    return proxy


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    from components.spec.errors import Problem  # noqa: PLC0415 -- see components/proxies
    from components.spec.partial import parsed  # noqa: PLC0415

    proxy = spec.proxy
    assert proxy is not None
    service = spec.services.get(proxy.service) if parsed(proxy, "service") else None
    if service is not None and parsed(service, "command") and service.command is not None:
        yield Problem(
            ("services", proxy.service, "command"),
            "is set: Traefik takes its static config from one source, and the stack renders it "
            "from platform:proxy into /etc/traefik/traefik.yml; remove the command",
        )


def route_labels(
    proxy: ProxyBase, service: str, routes: Sequence[ProxyRoute], network: str | None
) -> Mapping[str, str]:
    from components.render.traefik import HTTPS_ENTRYPOINT  # noqa: PLC0415

    mine = [r for r in routes if r.service == service]
    if not mine or service == proxy.service:
        return {}
    labels = {"traefik.enable": "true"}
    if network is not None:
        labels["traefik.docker.network"] = network
    ports = sorted({r.port for r in mine})
    for index, route in enumerate(mine):
        router = f"{service}-{index}" if len(mine) > 1 else service
        rule = f"Host(`{route.host}`)"
        if route.path != "/":
            rule += f" && PathPrefix(`{route.path}`)"
        backend = f"{service}-{route.port}" if len(ports) > 1 else service
        labels[f"traefik.http.routers.{router}.rule"] = rule
        labels[f"traefik.http.routers.{router}.entrypoints"] = HTTPS_ENTRYPOINT
        labels[f"traefik.http.routers.{router}.tls.certresolver"] = _spec(proxy).certResolver
        labels[f"traefik.http.routers.{router}.service"] = backend
        labels[f"traefik.http.services.{backend}.loadbalancer.server.port"] = str(route.port)
    return labels


def contribute(
    proxy: ProxyBase, service: ServiceSpec, network: str | None, routes: Sequence[ProxyRoute]
) -> AppContribution:
    from components.render.traefik import (  # noqa: PLC0415
        STATIC_CONFIG_PATH,
        TraefikStaticSettings,
        traefik_static_yaml,
    )

    spec = _spec(proxy)
    assert network is not None  # the plan passes the Docker name of `network`, which is required
    http, https = (p.port for p in PUBLIC_PORTS)
    text = traefik_static_yaml(
        TraefikStaticSettings(
            docker_network=network,
            acme_email=spec.acmeEmail,
            cert_resolver=spec.certResolver,
            http_port=http,
            https_port=https,
            acme_storage=spec.acmeStorage,
            challenge=spec.challenge,
        )
    )
    return AppContribution(files=(FilePlan(path=STATIC_CONFIG_PATH, content=text),))
