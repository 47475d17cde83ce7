"""Nginx Proxy Manager: the proxy of prod and staging (seeds 000 and 002).

NPM has no config files: its proxy hosts, certificates and access lists live in its database and
are set through its REST API on port 81 (DESIGN.md, "Proxies"). The program reaches that API
over the SSH path its Docker connection already uses (components/proxies/npm_tunnel.py): port
81 is published on the machine's loopback address only, never on a public one, and the routes
become NPM objects through dynamic resources (components/npm/resources.py, routes.py).

Facts, read in NginxProxyManager/nginx-proxy-manager at the tags named:

- The first admin: v2.12.6 backend/setup.js:24-27 creates it, when no user exists, from
  ``INITIAL_ADMIN_EMAIL``/``INITIAL_ADMIN_PASSWORD`` (default admin@example.com / changeme) and
  logs the password in clear; v2.13.7 backend/setup.js:21-36 does the same only when both are
  set (else the UI's setup wizard). So the bootstrap password is a throwaway: after the first
  login the program sets the admin password to ``adminPassword`` (``NpmAdmin`` in
  components/npm/resources.py).
- Let's Encrypt account email: v2.12.6 backend/internal/certificate.js:846 passes
  ``meta.letsencrypt_email`` of the certificate to certbot; v2.13.0 removed
  ``letsencrypt_email``/``letsencrypt_agree`` from the certificate meta schema (whose
  ``additionalProperties: false`` then rejects them) and takes the owner's email
  (backend/internal/certificate.js:144-173 at v2.13.0). So a 2.12 stack names the account's
  email here, and on 2.13 it is ``adminEmail``.
- The version is decided from the image tag: the request shapes of 2.12.x and 2.13.x are the
  only ones this program knows (tests/proxies/npm_schemas/), so any other tag is refused.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from components.spec.common import SecretRef
from components.values import AppContribution, LoopbackPort, SecretPath

from .base import WEB_PORTS, AuthForm, ProxyBase, no_route_labels

if TYPE_CHECKING:
    from components.derive.exposure import ProxyRoute
    from components.spec.errors import Problem
    from components.spec.platform import PlatformSpec
    from components.spec.services import ServiceSpec

KIND = "nginx-proxy-manager"
PUBLIC_PORTS = WEB_PORTS
# Route authentication NPM applies with its access lists (components/npm/routes.py): basic-auth
# users and source networks, both required when both are given.
AUTH: frozenset[AuthForm] = frozenset({"users", "allowFrom"})
# NPM's admin UI and API: `listen 81` (v2.12.6 and v2.13.7
# docker/rootfs/etc/nginx/conf.d/production.conf:3).
API_PORT = 81
SUPPORTED_LINES = ("2.12", "2.13")
_EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
_TAG = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


class Spec(ProxyBase):
    kind: Literal["nginx-proxy-manager"] = Field(description="Nginx Proxy Manager.")
    adminEmail: str = Field(
        pattern=_EMAIL,
        description="Email of NPM's admin user, the program's login (on 2.13 also the Let's "
        "Encrypt account's email).",
    )
    adminPassword: SecretRef = Field(
        description="The admin's password (at least 8 characters), under platform:secrets; the "
        "program sets it after the first login."
    )
    bootstrapPassword: SecretRef = Field(
        description="The first admin's password NPM creates (INITIAL_ADMIN_PASSWORD), used once "
        "and logged by NPM: the program rotates it to adminPassword."
    )
    letsencryptEmail: str | None = Field(
        default=None,
        pattern=_EMAIL,
        description="Let's Encrypt account email: required by NPM 2.12, refused by 2.13 (there "
        "it is adminEmail).",
    )


def _spec(proxy: ProxyBase) -> Spec:
    assert isinstance(proxy, Spec)
    return proxy


def version_line(image: str) -> str | None:
    """``"2.12"`` for ``jc21/nginx-proxy-manager:2.12.6``; None for a tag this program does not
    know the request shapes of."""
    from components.spec.images import parse_image  # noqa: PLC0415 -- see components/proxies

    tag = parse_image(image).tag
    match = _TAG.match(tag or "")
    if match is None:
        return None
    line = f"{match[1]}.{match[2]}"
    return line if line in SUPPORTED_LINES else None


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    from components.render.nginx import DOCKER_DNS  # noqa: PLC0415
    from components.spec.errors import Problem  # noqa: PLC0415 -- see components/proxies
    from components.spec.partial import parsed  # noqa: PLC0415

    proxy = spec.proxy
    assert isinstance(proxy, Spec)
    service = spec.services.get(proxy.service) if parsed(proxy, "service") else None
    if service is None or not parsed(service, "image"):
        return
    if parsed(service, "networkMode") and service.networkMode == "host":
        yield Problem(
            ("services", proxy.service, "networkMode"),
            "is 'host': NPM's proxy hosts resolve their upstreams per request through Docker's "
            f"DNS ({DOCKER_DNS}, components/npm/routes.py), which only a container on a user "
            "network has; remove networkMode and join the stack's network",
        )
    line = version_line(service.image)
    if line is None:
        yield Problem(
            ("services", proxy.service, "image"),
            f"is {service.image!r}: the program configures Nginx Proxy Manager through its API, "
            f"whose request shapes it knows for versions {', '.join(SUPPORTED_LINES)} "
            "(a tag like 2.12.6); pin one of them",
        )
        return
    if parsed(proxy, "letsencryptEmail"):
        if line == "2.12" and proxy.letsencryptEmail is None:
            yield Problem(
                ("proxy", "letsencryptEmail"),
                "is missing: NPM 2.12 sends the Let's Encrypt account email with each "
                "certificate request; set the address Let's Encrypt writes to",
            )
        if line != "2.12" and proxy.letsencryptEmail is not None:
            yield Problem(
                ("proxy", "letsencryptEmail"),
                f"is set, but NPM {line} refuses it (the account email is the admin's: "
                "adminEmail); remove it",
            )
    yield from _one_auth_per_host(spec, proxy.service)


def _one_auth_per_host(spec: PlatformSpec, proxy_service: str) -> Iterator[Problem]:
    """NPM applies one access list per proxy host, and a host is one proxy host: every route
    of a host must ask for the same authentication."""
    from components.spec import RouteExpose, config_path  # noqa: PLC0415
    from components.spec.errors import Problem  # noqa: PLC0415
    from components.spec.partial import parsed  # noqa: PLC0415

    first: dict[str, tuple[object, tuple[str | int, ...]]] = {}
    for name, service in spec.services.items():
        if not parsed(service, "expose"):
            continue
        for index, expose in enumerate(service.expose):
            if not isinstance(expose, RouteExpose) or not parsed(expose, "host", "auth"):
                continue
            auth = expose.auth.model_dump() if expose.auth is not None else None
            loc: tuple[str | int, ...] = ("services", name, "expose", index, "auth")
            seen = first.setdefault(expose.host, (auth, loc))
            if seen[0] != auth:
                yield Problem(
                    loc,
                    f"differs from the auth of another route of {expose.host} "
                    f"({config_path(seen[1])}): Nginx Proxy Manager applies one access list "
                    "per host; give every route of a host the same auth",
                )


route_labels = no_route_labels


def contribute(
    proxy: ProxyBase, service: ServiceSpec, network: str | None, routes: Sequence[ProxyRoute]
) -> AppContribution:
    spec = _spec(proxy)
    return AppContribution(
        env={"INITIAL_ADMIN_EMAIL": spec.adminEmail},
        secret_env={"INITIAL_ADMIN_PASSWORD": SecretPath(spec.bootstrapPassword.secret)},
        # The API, for the program's SSH tunnel only: on the machine's loopback address.
        loopback_ports=(LoopbackPort("tcp", API_PORT),),
    )


@dataclass(frozen=True)
class NpmPlan:
    """What the build needs to configure NPM: its service, its API login and the routes."""

    service: str
    machine: str
    host: str
    line: str  # "2.12" or "2.13"
    admin_email: str
    admin_password: SecretPath
    bootstrap_password: SecretPath
    letsencrypt_email: str | None
    routes: tuple[ProxyRoute, ...]


def npm_plan(spec: PlatformSpec, routes: Sequence[ProxyRoute]) -> NpmPlan | None:
    """The NPM slice of a stack whose proxy is NPM (its problems were refused before)."""
    proxy = spec.proxy
    if not isinstance(proxy, Spec):
        return None
    service = spec.services[proxy.service]
    line = version_line(service.image)
    assert line is not None  # refused by problems()
    return NpmPlan(
        service=proxy.service,
        machine=service.machine,
        host=spec.host_of(service.machine),
        line=line,
        admin_email=proxy.adminEmail,
        admin_password=SecretPath(proxy.adminPassword.secret),
        bootstrap_password=SecretPath(proxy.bootstrapPassword.secret),
        letsencrypt_email=proxy.letsencryptEmail,
        routes=tuple(routes),
    )
