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

Middlewares, derived from each route (names from ``middleware_names``, once), in the order a
request meets them (``traefik.http.routers.<r>.middlewares``):

- ``ipAllowList`` (the v3 name; ``ipWhiteList`` is gone) from ``auth.allowFrom``: a client
  outside the source ranges gets 403.
- ``basicAuth`` from ``auth.users``: htpasswd bcrypt lines (``$2y$``, what ``htpasswd -B``
  writes and Traefik's go-http-auth checks), the label a Pulumi secret. Both given: both must
  pass. Auth sits on the HTTPS router, the only one there is: the HTTP entrypoint redirects
  every request to HTTPS in the static config, so no router serves plain HTTP.
- ``headers`` on every router: HSTS (a year, subdomains), ``nosniff``, frame deny and a
  referrer policy.
- ``retry`` on every router, last: Traefik's Docker provider drops a container from the load
  balancer only on its ``die`` event (traefik/traefik fd5a576df2 pkg/provider/docker/pdocker.go:
  123-125 reacts to ``start``, ``die`` and ``health_status``), so during a zero-downtime
  replacement a request can still be sent to the old container as its app ends. Two cases:
  the connect fails (the listener is closed, or the address is gone: ``dialTimeout``), and the
  middleware re-sends a request that was not written to a backend (pkg/middlewares/retry/
  retry.go:333-339); or the connect succeeded (the kernel accepted it into the listen backlog
  of an app that is closing) and the request was written, then the connection is reset: Go's
  Transport re-sends that itself only on a reused keep-alive connection, never on a fresh one
  (net/http transport.go ``shouldRetryRequest``), Traefik's proxy answers 502
  (pkg/proxy/httputil/proxy.go:222-237) and the middleware, seeing the request written, lets it
  through. ``status: 502`` re-sends that one too, for idempotent methods only: the middleware
  never re-sends a POST, PATCH or LOCK on a status (retry.go:148-153), so such a request can
  still fail in that instant. A status retry needs the request body again, and the middleware
  buffers up to ``maxRequestBodyBytes`` of it for every idempotent request (its default, 2 MiB,
  is allocated per request: pkg/server/service/loadbalancer/mirror/mirror.go:237-240); 0 keeps
  that to one byte, so a request with a body (a PUT with content) gets no status retry
  (retry.go:166-175) and one without (GET, HEAD, OPTIONS, a bodyless DELETE) does. The load
  balancer picks the other server for the next attempt. A new container gets nothing before it
  is healthy (pkg/provider/docker/config.go:228-231 filters starting and unhealthy ones). A 502
  the app answers itself is re-sent too, at most ``RETRY_ATTEMPTS`` times in all, and the last
  answer goes to the client.

Websocket routes need no middleware: Traefik passes ``Upgrade`` through.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

import base64
import functools
import hmac
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import bcrypt
from pydantic import Field

from components.spec.common import Name, ShellSafe
from components.values import AppContribution, FilePlan, Rendered

from .base import WEB_PORTS, AuthForm, ProxyBase, command_refused, proxy_service

if TYPE_CHECKING:
    from components.derive.exposure import ProxyRoute
    from components.spec.errors import Problem
    from components.spec.platform import PlatformSpec
    from components.spec.services import ServiceSpec

KIND = "traefik"
PUBLIC_PORTS = WEB_PORTS
# Route authentication this kind configures: basic auth and source allow-lists.
AUTH: frozenset[AuthForm] = frozenset({"users", "allowFrom"})
LETSENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"
LETSENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
# Where the ACME server's CA certificate goes, and the variable Traefik reads it from: its ACME
# client's compatibility layer with lego (traefik/traefik fd5a576df2
# pkg/provider/acme/provider.go:433-450: LEGO_CA_CERTIFICATES, a path list, used when the
# resolver sets no caCertificates of its own). The variable works on every v3 release.
ACME_CA_PATH = "/etc/traefik/acme-ca.pem"
ACME_CA_ENV = "LEGO_CA_CERTIFICATES"
# bcrypt's cost: what `htpasswd -B` writes by default. Traefik checks the hash on every request
# of an authenticated route (a browser sends the credentials with each asset of an admin
# panel), and each step of the cost doubles that CPU: 10 would be tens of milliseconds per
# request. The hash is readable only where the engine's root is (its labels) and, encrypted, in
# the state, so the cost guards little against the one who could read it.
BCRYPT_COST = 5
# Security headers of every router (Traefik's headers middleware, label keys in lower case).
SECURITY_HEADERS = {
    "stsseconds": "31536000",
    "stsincludesubdomains": "true",
    "contenttypenosniff": "true",
    "framedeny": "true",
    "referrerpolicy": "strict-origin-when-cross-origin",
}
# Attempts of the retry middleware (the first one included) and the wait before the second.
RETRY_ATTEMPTS = 3
RETRY_INITIAL_INTERVAL = "100ms"
# What the retry middleware re-sends besides requests that reached no backend: the 502 Traefik
# answers for a request written to a connection the backend reset unanswered (module docstring).
RETRY_STATUS = "502"
# The body the middleware keeps to re-send on a status: none (it allocates this much plus one
# byte for every idempotent request; only bodyless requests are then re-sent on a status).
RETRY_MAX_BODY_BYTES = 0
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
        description="acme.json in the container; its directory must be a volume of the proxy "
        "service (Traefik creates the file with mode 600).",
    )
    acmeServer: str = Field(
        default=LETSENCRYPT_PRODUCTION,
        pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$",
        description="ACME directory URL: Let's Encrypt production (the default), "
        f"staging ({LETSENCRYPT_STAGING}) or a test CA.",
    )
    acmeCaCertificate: str | None = Field(
        default=None,
        pattern=r"^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$",
        description="PEM CA certificate that signs the ACME server's HTTPS certificate, when "
        "it is not publicly trusted (a test CA); Traefik gets it through LEGO_CA_CERTIFICATES.",
    )


def _spec(proxy: ProxyBase) -> Spec:
    assert isinstance(proxy, Spec)
    return proxy


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    from components.spec.partial import parsed  # noqa: PLC0415 -- see components/proxies

    yield from command_refused(
        spec,
        "Traefik takes its static config from one source, and the stack renders it from "
        "platform:proxy into /etc/traefik/traefik.yml; remove the command",
    )
    proxy = spec.proxy
    assert proxy is not None
    service = proxy_service(spec)
    if service is not None and parsed(proxy, "acmeStorage") and parsed(service, "volumes"):
        yield from _storage_problems(_spec(proxy), service)


def _storage_problems(proxy: Spec, service: ServiceSpec) -> Iterator[Problem]:
    """acme.json holds the account key and every certificate: on a volume (protected like all
    of the stack's volumes) it survives a replaced container; in the container's own layer it
    would be lost, and each new container would ask Let's Encrypt again (rate limits)."""
    from components.spec.errors import Problem  # noqa: PLC0415

    directory = posixpath.dirname(proxy.acmeStorage)
    mounts = [v for v in service.volumes if not v.readOnly]
    if not any(
        directory == v.path or directory.startswith(f"{v.path.rstrip('/')}/") for v in mounts
    ):
        paths = ", ".join(v.path for v in mounts) or "none"
        yield Problem(
            ("proxy", "acmeStorage"),
            f"{proxy.acmeStorage!r} is not on a volume of service {proxy.service!r} (its "
            f"writable volume paths: {paths}): add a volume at {directory!r} under "
            f"services.{proxy.service}.volumes, or point acmeStorage into one",
        )


def middleware_names(router: str) -> dict[str, str]:
    """The names of a router's middlewares (defined on the same container's labels)."""
    return {role: f"{router}-{role}" for role in ("allow", "auth", "headers", "retry")}


def htpasswd_line(username: str, password: str) -> str:
    """``user:$2y$...``, bcrypt with a salt derived from the password and the user.

    A random salt would give a new label on every ``up``, and a changed label replaces the
    container; HMAC-SHA256(password, user) gives the same salt for the same pair, and a new one
    when either changes. The salt is bcrypt's 16 bytes in its own base64 alphabet.
    """
    digest = hmac.new(password.encode(), f"traefik-basic-auth:{username}".encode(), "sha256")
    salt = base64.b64encode(digest.digest()[:16]).decode()[:22].translate(_BCRYPT_ALPHABET)
    hashed = bcrypt.hashpw(password.encode(), f"$2y${BCRYPT_COST:02d}${salt}".encode())
    return f"{username}:{hashed.decode()}"


_BCRYPT_ALPHABET = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
)


def _users(usernames: Sequence[str], values: Mapping[str, str]) -> str:
    return ",".join(htpasswd_line(u, values[f"user{i}"]) for i, u in enumerate(usernames))


def _basic_auth(route: ProxyRoute) -> Rendered:
    return Rendered(
        render=functools.partial(_users, tuple(u.username for u in route.users)),
        secrets={f"user{i}": u.password.path for i, u in enumerate(route.users)},
    )


def route_labels(
    proxy: ProxyBase, service: str, routes: Sequence[ProxyRoute], network: str | None
) -> Mapping[str, str | Rendered]:
    from components.render.traefik import HTTPS_ENTRYPOINT  # noqa: PLC0415

    mine = [r for r in routes if r.service == service]
    if not mine or service == proxy.service:
        return {}
    labels: dict[str, str | Rendered] = {"traefik.enable": "true"}
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
        labels.update(_middlewares(router, route))
    return labels


def _middlewares(router: str, route: ProxyRoute) -> dict[str, str | Rendered]:
    names = middleware_names(router)
    prefix = "traefik.http.middlewares"
    labels: dict[str, str | Rendered] = {}
    chain = []
    if route.allow_from:
        chain.append(names["allow"])
        labels[f"{prefix}.{names['allow']}.ipallowlist.sourcerange"] = ",".join(route.allow_from)
    if route.users:
        chain.append(names["auth"])
        labels[f"{prefix}.{names['auth']}.basicauth.users"] = _basic_auth(route)
    chain += [names["headers"], names["retry"]]
    for key, value in SECURITY_HEADERS.items():
        labels[f"{prefix}.{names['headers']}.headers.{key}"] = value
    labels[f"{prefix}.{names['retry']}.retry.attempts"] = str(RETRY_ATTEMPTS)
    labels[f"{prefix}.{names['retry']}.retry.initialinterval"] = RETRY_INITIAL_INTERVAL
    labels[f"{prefix}.{names['retry']}.retry.status"] = RETRY_STATUS
    labels[f"{prefix}.{names['retry']}.retry.maxrequestbodybytes"] = str(RETRY_MAX_BODY_BYTES)
    labels[f"traefik.http.routers.{router}.middlewares"] = ",".join(chain)
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
            # Unset is Traefik's own default, Let's Encrypt production
            # (pkg/provider/acme/provider.go:71-72): the file says only what differs.
            ca_server=None if spec.acmeServer == LETSENCRYPT_PRODUCTION else spec.acmeServer,
        )
    )
    files = [FilePlan(path=STATIC_CONFIG_PATH, content=text)]
    env = {}
    if spec.acmeCaCertificate is not None:
        files.append(FilePlan(path=ACME_CA_PATH, content=spec.acmeCaCertificate))
        env[ACME_CA_ENV] = ACME_CA_PATH
    return AppContribution(env=env, files=tuple(files))
