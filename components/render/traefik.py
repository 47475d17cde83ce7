"""Traefik v3's static configuration file (`/etc/traefik/traefik.yml`): a typed model of the keys
we use, and the renderer.

Traefik reads its static configuration once, at start, from the first of: a file (its default
locations include `/etc/traefik/traefik.yml`, the one the traefik image reads when run without
arguments), command-line flags, environment variables. The file is decoded strictly: an unknown
key or a value of the wrong type stops Traefik at start with `command traefik error: field not
found, node: <key>` (exit 1), which tests/render/test_traefik.py proves against the real binary.
The models below therefore forbid extra keys, and every field name is the `yaml:` tag of the Go
struct it mirrors (traefik/traefik v3, pkg/config/static unless said otherwise):

- `TraefikStaticConfig`  <- static_config.go `Configuration` (global, entryPoints, providers,
                            api, ping, certificatesResolvers)
- `TraefikGlobal`        <- static_config.go `Global` (checkNewVersion, sendAnonymousUsage)
- `TraefikEntryPoint`    <- entrypoints.go `EntryPoint` (address, http) with `HTTPConfig`
                            (redirections), `Redirections` (entryPoint) and `RedirectEntryPoint`
                            (to, scheme, permanent)
- `TraefikProviders`     <- static_config.go `Providers` (docker)
- `TraefikDocker`        <- pkg/provider/docker pdocker.go `Provider`, inlining shared.go
                            `Shared` (exposedByDefault, network) and `ClientConfig` (endpoint)
- `TraefikServersTransport` <- static_config.go `ServersTransport` (forwardingTimeouts) with
                            `ForwardingTimeouts` (dialTimeout; its other timeouts keep their
                            defaults, `SetDefaults`, static_config.go:212-224)
- `TraefikApi`           <- static_config.go `API` (insecure, dashboard)
- `TraefikPing`          <- pkg/ping `Handler` (entryPoint)
- `TraefikResolver`      <- static_config.go `CertificateResolver` (acme)
- `TraefikAcme`          <- pkg/provider/acme provider.go `Configuration` (email, caServer,
                            storage, tlsChallenge, httpChallenge) with `HTTPChallenge`
                            (entryPoint) and the empty `TLSChallenge`

Documented in Traefik's reference pages "EntryPoints" (install-configuration/entrypoints: the
`http.redirections.entryPoint` block with `to`, `scheme`, `permanent`) and "ACME"
(install-configuration/tls/certificate-resolvers/acme: `email`, `storage`, `caServer`,
`tlsChallenge`, `httpChallenge.entryPoint`).

Behaviour that the checks below follow (static_config.go `SetEffectiveConfiguration`): `ping`
and `api.insecure` serve on the internal entrypoint `traefik`, created at `:8080` when no
entrypoint of that name is defined; so `traefik` is not a name for the HTTP/HTTPS entrypoints
and 8080 is not their port. `api`, when present, defaults `dashboard` to true (`API.SetDefaults`),
so the renderer writes both of its keys. The Docker routing labels
(components/proxies/traefik.py) name `HTTPS_ENTRYPOINT` and the certificate resolver; the
constants here are the names they must agree with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from .input_errors import SAFE_PATH, check, check_port, raise_if
from .yaml_text import dump_yaml

HTTP_ENTRYPOINT = "web"
HTTPS_ENTRYPOINT = "websecure"
STATIC_CONFIG_PATH = "/etc/traefik/traefik.yml"
DEFAULT_ACME_STORAGE = "/letsencrypt/acme.json"
DOCKER_SOCKET_ENDPOINT = "unix:///var/run/docker.sock"
# static_config.go DefaultInternalEntryPointName and the address it gets when created.
INTERNAL_ENTRYPOINT = "traefik"
INTERNAL_ENTRYPOINT_PORT = 8080

# Entrypoint and resolver names become keys of the static config and values of Docker labels
# (`traefik.http.routers.<r>.entrypoints=<name>`), where a '.' would split the key.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# Docker network names: [a-zA-Z0-9][a-zA-Z0-9_.-]* (moby daemon/names).
_DOCKER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# The shape of an address ACME can write to: local@domain.tld, no spaces, no quotes.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_UNIX_ENDPOINT = re.compile(r"^unix:///[A-Za-z0-9._/@%+=:,-]+$")
_TCP_ENDPOINT = re.compile(r"^tcp://[A-Za-z0-9.-]+:[0-9]{1,5}$")


class _TraefikModel(BaseModel):
    # extra="forbid" mirrors Traefik's file loader: a key it does not know stops it at start.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class TraefikGlobal(_TraefikModel):
    check_new_version: bool = Field(alias="checkNewVersion")
    send_anonymous_usage: bool = Field(alias="sendAnonymousUsage")


class TraefikRedirectEntryPoint(_TraefikModel):
    to: str
    scheme: str
    permanent: bool


class TraefikRedirections(_TraefikModel):
    entry_point: TraefikRedirectEntryPoint = Field(alias="entryPoint")


class TraefikEntryPointHttp(_TraefikModel):
    redirections: TraefikRedirections | None = None


class TraefikEntryPoint(_TraefikModel):
    address: str
    http: TraefikEntryPointHttp | None = None


class TraefikDocker(_TraefikModel):
    endpoint: str
    exposed_by_default: bool = Field(alias="exposedByDefault")
    network: str


class TraefikProviders(_TraefikModel):
    docker: TraefikDocker


class TraefikForwardingTimeouts(_TraefikModel):
    dial_timeout: str = Field(alias="dialTimeout")


class TraefikServersTransport(_TraefikModel):
    forwarding_timeouts: TraefikForwardingTimeouts = Field(alias="forwardingTimeouts")


class TraefikApi(_TraefikModel):
    """The API and dashboard; only rendered when asked for (`TraefikStaticSettings.api`)."""

    insecure: bool = False
    dashboard: bool = False


class TraefikPing(_TraefikModel):
    entry_point: str | None = Field(default=None, alias="entryPoint")


class TraefikHttpChallenge(_TraefikModel):
    entry_point: str = Field(alias="entryPoint")


class TraefikTlsChallenge(_TraefikModel):
    pass


class TraefikAcme(_TraefikModel):
    email: str
    storage: str
    ca_server: str | None = Field(default=None, alias="caServer")
    tls_challenge: TraefikTlsChallenge | None = Field(default=None, alias="tlsChallenge")
    http_challenge: TraefikHttpChallenge | None = Field(default=None, alias="httpChallenge")


class TraefikResolver(_TraefikModel):
    acme: TraefikAcme


class TraefikStaticConfig(_TraefikModel):
    global_: TraefikGlobal = Field(alias="global")
    entry_points: dict[str, TraefikEntryPoint] = Field(alias="entryPoints")
    providers: TraefikProviders
    certificates_resolvers: dict[str, TraefikResolver] = Field(alias="certificatesResolvers")
    servers_transport: TraefikServersTransport | None = Field(
        default=None, alias="serversTransport"
    )
    ping: TraefikPing | None = None
    api: TraefikApi | None = None


@dataclass(frozen=True)
class TraefikStaticSettings:
    """What the stack decides for its Traefik.

    `docker_network` is the Docker name of the network Traefik reaches the routed services on
    (the `traefik.docker.network` label says the same per container). Only containers labelled
    `traefik.enable=true` are routed. The HTTP entrypoint redirects permanently to the HTTPS
    one. `challenge` is the ACME challenge: `tls` (TLS-ALPN-01 on the HTTPS entrypoint) or
    `http` (HTTP-01 on the HTTP entrypoint). `ca_server` points ACME at another directory (a
    test ACME server); unset, Traefik uses Let's Encrypt's production directory. `api` is off
    unless given.

    `dial_timeout` bounds Traefik's connect to a backend (its default is 30 s). During a
    zero-downtime replacement the old container can be gone before Traefik's Docker provider
    has applied its `die` event (the provider throttles reloads, 2 s by default): a connect to
    its address then finds no host and, unbounded, hangs the request. Bounded, it fails fast
    and the routers' retry middleware (components/proxies/traefik.py, which also covers a
    request written to a connection reset unanswered) sends the request to the other server.
    Every backend is a container on the proxy's own engine, so a second is long.
    """

    docker_network: str
    acme_email: str
    cert_resolver: str = "letsencrypt"
    http_entrypoint: str = HTTP_ENTRYPOINT
    http_port: int = 80
    https_entrypoint: str = HTTPS_ENTRYPOINT
    https_port: int = 443
    acme_storage: str = DEFAULT_ACME_STORAGE
    challenge: Literal["tls", "http"] = "tls"
    ca_server: str | None = None
    ping: bool = True
    docker_endpoint: str = DOCKER_SOCKET_ENDPOINT
    api: TraefikApi | None = None
    dial_timeout: str = "1s"


def _check(settings: TraefikStaticSettings) -> None:
    problems: list[str] = []
    check(
        problems,
        bool(_DOCKER_NAME.match(settings.docker_network)),
        "docker_network",
        settings.docker_network,
        "a Docker network name ([A-Za-z0-9][A-Za-z0-9_.-]*)",
    )
    for field in ("http_entrypoint", "https_entrypoint", "cert_resolver"):
        value = getattr(settings, field)
        check(
            problems,
            bool(_NAME.match(value)),
            field,
            value,
            "a name of letters, digits, '_' and '-' (no '.': it would split a label key)",
        )
    internal = settings.ping or (settings.api is not None and settings.api.insecure)
    for field in ("http_entrypoint", "https_entrypoint"):
        value = getattr(settings, field)
        check(
            problems,
            not (internal and value == INTERNAL_ENTRYPOINT),
            field,
            value,
            f"not {INTERNAL_ENTRYPOINT!r}: ping and the API serve on Traefik's internal "
            "entrypoint of that name",
        )
    check(
        problems,
        settings.https_entrypoint != settings.http_entrypoint,
        "https_entrypoint",
        settings.https_entrypoint,
        f"a name other than http_entrypoint ({settings.http_entrypoint!r})",
    )
    for field in ("http_port", "https_port"):
        value = getattr(settings, field)
        check_port(problems, field, value)
        check(
            problems,
            not (internal and value == INTERNAL_ENTRYPOINT_PORT),
            field,
            value,
            f"not {INTERNAL_ENTRYPOINT_PORT}: Traefik's internal entrypoint (ping, API) listens "
            "there",
        )
    check(
        problems,
        settings.https_port != settings.http_port,
        "https_port",
        settings.https_port,
        f"a port other than http_port ({settings.http_port})",
    )
    check(
        problems,
        bool(_EMAIL.match(settings.acme_email)),
        "acme_email",
        settings.acme_email,
        "an email address (local@domain.tld) for the ACME account",
    )
    check(
        problems,
        bool(SAFE_PATH.match(settings.acme_storage)) and not settings.acme_storage.endswith("/"),
        "acme_storage",
        settings.acme_storage,
        "an absolute file path (letters, digits, ._/@%+=:,-)",
    )
    check(
        problems,
        settings.challenge in ("tls", "http"),
        "challenge",
        settings.challenge,
        "'tls' (TLS-ALPN-01) or 'http' (HTTP-01 on the HTTP entrypoint)",
    )
    if settings.ca_server is not None:
        url = urlsplit(settings.ca_server)
        check(
            problems,
            url.scheme in ("https", "http") and bool(url.hostname) and " " not in url.geturl(),
            "ca_server",
            settings.ca_server,
            "the http(s) URL of an ACME directory, e.g. https://127.0.0.1:14000/dir",
        )
    check(
        problems,
        bool(
            _UNIX_ENDPOINT.match(settings.docker_endpoint)
            or _TCP_ENDPOINT.match(settings.docker_endpoint)
        ),
        "docker_endpoint",
        settings.docker_endpoint,
        "unix:///absolute/path or tcp://host:port",
    )
    check(
        problems,
        bool(re.fullmatch(r"[1-9][0-9]*(ms|s)", settings.dial_timeout)),
        "dial_timeout",
        settings.dial_timeout,
        "a Go duration in ms or s, e.g. 1s",
    )
    raise_if("traefik static config", problems)


def traefik_static_config(settings: TraefikStaticSettings) -> TraefikStaticConfig:
    """The typed static config for the stack's Traefik."""
    _check(settings)
    redirect = TraefikRedirectEntryPoint(
        to=settings.https_entrypoint, scheme="https", permanent=True
    )
    acme = TraefikAcme(
        email=settings.acme_email,
        storage=settings.acme_storage,
        ca_server=settings.ca_server,
        tls_challenge=TraefikTlsChallenge() if settings.challenge == "tls" else None,
        http_challenge=(
            TraefikHttpChallenge(entry_point=settings.http_entrypoint)
            if settings.challenge == "http"
            else None
        ),
    )
    return TraefikStaticConfig(
        # A server that does not call home: no update check, no usage statistics.
        global_=TraefikGlobal(check_new_version=False, send_anonymous_usage=False),
        entry_points={
            settings.http_entrypoint: TraefikEntryPoint(
                address=f":{settings.http_port}",
                http=TraefikEntryPointHttp(redirections=TraefikRedirections(entry_point=redirect)),
            ),
            settings.https_entrypoint: TraefikEntryPoint(address=f":{settings.https_port}"),
        },
        providers=TraefikProviders(
            docker=TraefikDocker(
                endpoint=settings.docker_endpoint,
                exposed_by_default=False,
                network=settings.docker_network,
            )
        ),
        certificates_resolvers={settings.cert_resolver: TraefikResolver(acme=acme)},
        servers_transport=TraefikServersTransport(
            forwarding_timeouts=TraefikForwardingTimeouts(dial_timeout=settings.dial_timeout)
        ),
        ping=TraefikPing() if settings.ping else None,
        api=settings.api,
    )


def traefik_static_yaml(settings: TraefikStaticSettings) -> str:
    """The text of `/etc/traefik/traefik.yml`: the typed config dumped without unset keys."""
    config = traefik_static_config(settings)
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dump_yaml(data)
