"""Plain Nginx's config, rendered from the routes: one site per route host, in two phases.

Files (all under ``NginxSettings.config_dir`` unless said otherwise), as the official nginx
image reads them (nginxinc/docker-nginx stable/debian/Dockerfile: nginx.conf includes
/etc/nginx/conf.d/*.conf inside ``http {}``; docker-entrypoint.sh:17-36 runs every executable
/docker-entrypoint.d/*.sh before it execs nginx):

- ``conf.d/default.conf`` (``http_conf``): what every site shares (the websocket ``map``, the
  ``resolver``, TLS defaults), the default servers that refuse unknown hosts, and
  ``include <config_dir>/active/*.conf``;
- ``sites/<host>.acme.conf`` (phase 1, ``acme_site``): port 80 only, the ACME HTTP-01 webroot
  and 503 for everything else (no route is served over plain HTTP: its credentials would travel
  in clear);
- ``sites/<host>.tls.conf`` (phase 2, ``tls_site``): port 80 keeps the webroot and redirects
  the rest to HTTPS; port 443 serves the routes with the host's Let's Encrypt certificate;
- ``users/<file>`` (``users_file``): the basic-auth users of a location, bcrypt hashes;
- ``/docker-entrypoint.d/40-selfhosted-tls.sh`` (components/render/nginx_acme.py): copies each
  host's phase-2 site into ``active/`` once its certificate exists, else its phase-1 site, and
  re-checks periodically (``nginx -t`` before every reload).

Choices, each proven against Debian's real nginx in tests/network/test_nginx_proxy.py:

- Upstreams survive a backend restart: ``proxy_pass`` takes a variable, so nginx resolves the
  name at request time through ``resolver`` (Docker's embedded DNS, 127.0.0.11, on a user
  network) and caches it ``valid`` seconds; a literal name would be resolved once at start and a
  replaced container's new address never followed (nginx.org ngx_http_proxy_module
  ``proxy_pass``: "the server name is searched among the described server groups, and, if not
  found, is determined using a resolver").
- Path routes are passed unchanged (the prefix is not stripped), like the Traefik kind's
  ``PathPrefix`` routers: the app server serves ``/api/...`` and RabbitMQ's management UI is set
  to ``management.path_prefix = /rabbitmq``. Stripping would need a rewrite, and nginx passes a
  rewritten URI decoded: RabbitMQ's default vhost ``/`` is ``%2F`` in its API paths and would
  arrive as a literal ``/`` (RabbitMQ "Management Plugin", section "Proxy"). With a variable
  and no URI part, ``proxy_pass`` sends the request URI as the client sent it.
- A path ``/api`` matches ``/api`` and ``/api/...`` (``location = /api`` and ``location
  /api/``), not ``/apiary``; among locations the longest prefix wins (nginx's own rule); ``^~``
  keeps it so whatever regex a later edit might add.
- HTTP/2: ``listen 443 ssl http2`` is the form nginx 1.22 (Debian bookworm, the tests) and the
  pinned image's 1.26 both accept; ``http2 on;`` exists only from 1.25.1 (nginx CHANGES 1.25.1:
  "the http2 parameter of the listen directive is now deprecated"), where the old form logs a
  deprecation warning and still works.
- Basic auth: nginx checks ``auth_basic_user_file`` hashes with the libc's crypt(); bcrypt
  (``$2b$``) is accepted by glibc's libxcrypt (the official image is Debian bookworm-based:
  stable/debian/Dockerfile:6, libcrypt1 4.4.33) and by musl (nginx:alpine): crypt_blowfish.c.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network

import bcrypt

from .input_errors import SAFE_PATH, check, check_port, raise_if

CONFIG_DIR = "/etc/nginx/selfhosted"
HTTP_CONF = "/etc/nginx/conf.d/default.conf"
ACME_WEBROOT = "/var/www/acme"
LETSENCRYPT_LIVE = "/etc/letsencrypt/live"
# Docker's embedded DNS server on user-defined networks (Docker docs, "Networking overview /
# DNS services": containers on custom networks use 127.0.0.11).
DOCKER_DNS = "127.0.0.11"
# How long nginx keeps a name's addresses. A lookup made just before a replacement's new
# container joins the alias holds the old address alone for this long; the old container
# dies no sooner than its drain after SIGTERM (once the new one is healthy), so an app that
# keeps accepting for at least this long after SIGTERM is never the only, dead, address
# nginx has. 5 s lost a request in tests/docker/test_nginx_edge.py (healthy in 1 s, a 3 s
# drain); one lookup a second per name to Docker's DNS costs nothing measurable
# (benchmarks/proxy_throughput.py).
RESOLVER_VALID_SECONDS = 1
ACME_PATH = "/.well-known/acme-challenge/"
# Answered 204 on 127.0.0.1:<health_port> only: the container's healthcheck.
HEALTH_PATH = "/selfhosted-health"
# bcrypt's work factor: nginx verifies the hash on every request (no session), so each costs
# 2^cost rounds of CPU; 10 keeps an admin panel's polling (RabbitMQ's UI: a few requests every
# 5 s) cheap while staying well above brute-force speed.
BCRYPT_COST = 10
# bcrypt's own base64 alphabet (OpenBSD bcrypt, crypt_blowfish.c BF_itoa64).
_BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
_UPSTREAM_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_USER = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class NginxLocation:
    """One path route of a site: where it goes and who may use it.

    ``users_file`` names the basic-auth file under ``<config_dir>/users/`` (its text is
    ``users_file`` below, rendered at apply time); ``allow_from`` the source networks let
    through (every other client gets 403). Both given: both must pass (``satisfy all``).
    """

    path: str
    upstream_host: str  # a network alias (resolved through the resolver) or an address
    upstream_port: int
    websocket: bool = False
    users_file: str | None = None
    allow_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class NginxSite:
    host: str
    locations: tuple[NginxLocation, ...]


@dataclass(frozen=True)
class NginxSettings:
    """What the stack decides for its Nginx; paths are the container's."""

    sites: tuple[NginxSite, ...]
    resolver: str = DOCKER_DNS
    resolver_valid_seconds: int = RESOLVER_VALID_SECONDS
    http_port: int = 80
    https_port: int = 443
    health_port: int = 8080
    config_dir: str = CONFIG_DIR
    acme_webroot: str = ACME_WEBROOT
    letsencrypt_live: str = LETSENCRYPT_LIVE
    security_headers: tuple[tuple[str, str], ...] = field(
        default=(
            ("Strict-Transport-Security", "max-age=31536000"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "SAMEORIGIN"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        )
    )


def _check(settings: NginxSettings) -> None:
    problems: list[str] = []
    check(problems, bool(settings.sites), "sites", settings.sites, "at least one site")
    hosts = [site.host for site in settings.sites]
    for index, site in enumerate(settings.sites):
        at = f"sites[{index}]"
        check(problems, bool(_HOST.match(site.host)), f"{at}.host", site.host, "a DNS name")
        check(problems, hosts.count(site.host) == 1, f"{at}.host", site.host, "one site per host")
        paths = [_normal(loc.path) for loc in site.locations]
        check(problems, bool(site.locations), f"{at}.locations", (), "at least one location")
        for number, loc in enumerate(site.locations):
            here = f"{at}.locations[{number}]"
            check(problems, bool(_PATH.match(loc.path)), f"{here}.path", loc.path, "/ or /a/b")
            check(
                problems,
                paths.count(_normal(loc.path)) == 1,
                f"{here}.path",
                loc.path,
                "one location per path of a host",
            )
            check(
                problems,
                bool(_UPSTREAM_HOST.match(loc.upstream_host)),
                f"{here}.upstream_host",
                loc.upstream_host,
                "a network alias or an IPv4 address",
            )
            check_port(problems, f"{here}.upstream_port", loc.upstream_port)
            if loc.users_file is not None:
                check(
                    problems,
                    bool(_FILE.match(loc.users_file)),
                    f"{here}.users_file",
                    loc.users_file,
                    "a file name (letters, digits, ._-)",
                )
            for network in loc.allow_from:
                check(problems, _is_network(network), f"{here}.allow_from", network, "a CIDR")
    check(problems, _is_address(settings.resolver), "resolver", settings.resolver, "an IP")
    check(
        problems,
        1 <= settings.resolver_valid_seconds <= 3600,
        "resolver_valid_seconds",
        settings.resolver_valid_seconds,
        "1-3600",
    )
    check_port(problems, "http_port", settings.http_port)
    check_port(problems, "https_port", settings.https_port)
    check_port(problems, "health_port", settings.health_port)
    check(
        problems,
        settings.health_port not in (settings.http_port, settings.https_port),
        "health_port",
        settings.health_port,
        "a port other than http_port and https_port",
    )
    check(
        problems,
        settings.http_port != settings.https_port,
        "https_port",
        settings.https_port,
        f"a port other than http_port ({settings.http_port})",
    )
    for name in ("config_dir", "acme_webroot", "letsencrypt_live"):
        value = getattr(settings, name)
        check(problems, bool(SAFE_PATH.match(value)), name, value, "an absolute path")
    raise_if("nginx config", problems)


def _is_network(text: str) -> bool:
    try:
        ip_network(text, strict=True)
    except ValueError:
        return False
    return True


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _normal(path: str) -> str:
    return path.rstrip("/") or "/"


def site_file(settings: NginxSettings, host: str, phase: str) -> str:
    """Where a site's phase (``acme`` or ``tls``) is kept in the container."""
    return f"{settings.config_dir}/sites/{host}.{phase}.conf"


def users_path(settings: NginxSettings, name: str) -> str:
    return f"{settings.config_dir}/users/{name}"


def resolver_directives(resolver: str, valid_seconds: int) -> list[str]:
    """Names in ``proxy_pass`` variables resolved per request (shared with NPM's proxy hosts,
    components/npm/routes.py)."""
    return [
        # Names in proxy_pass variables are resolved here at request time, cached `valid`.
        f"resolver {resolver} valid={valid_seconds}s ipv6=off;",
        "resolver_timeout 5s;",
    ]


# A redeploy (README "Redeploys without downtime"): while both containers share the alias,
# nginx holds both addresses, and one request can still pick the old one once it is gone; its
# address then answers nothing (no ARP reply), so a connect would wait proxy_connect_timeout
# (60 s by default, NPM's 90 s) and the request fail. Bounded at 1 s (a container on the same
# Docker host accepts in microseconds), the attempt times out and proxy_next_upstream passes
# the request to the next address, the new container (tests/docker/test_nginx_edge.py,
# test_npm_edge.py). `error timeout` is nginx's default, written out because the redeploy
# depends on it: only a failed connect or a timeout before anything was sent to the client is
# retried, never a response. Only for an alias: an address on another machine is one address
# (nothing to pass the request on to), and there a 1 s connect would turn one lost SYN, whose
# retransmission comes at 1 s, into a 504.
RETRY_DIRECTIVES = ("proxy_connect_timeout 1s;", "proxy_next_upstream error timeout;")


def is_alias(upstream_host: str) -> bool:
    """Whether an upstream host is a container's network alias (on the proxy's machine, where
    the retry applies), not an address on another machine."""
    return not _is_address(upstream_host)


def http_conf(settings: NginxSettings) -> str:
    """``conf.d/default.conf``: the shared http-level settings and the default servers."""
    _check(settings)
    http, https = settings.http_port, settings.https_port
    return "\n".join(
        [
            "# Rendered by components/render/nginx.py from the stack's routes; do not edit.",
            "server_tokens off;",
            *resolver_directives(settings.resolver, settings.resolver_valid_seconds),
            # Connection: upgrade only when the client asked for one (nginx.org "WebSocket
            # proxying"); an empty Upgrade closes the upstream connection as before.
            "map $http_upgrade $connection_upgrade {",
            "    default upgrade;",
            "    '' close;",
            "}",
            "ssl_protocols TLSv1.2 TLSv1.3;",
            "ssl_session_cache shared:selfhosted_tls:10m;",
            "ssl_session_timeout 1h;",
            "client_max_body_size 50m;",
            # Unknown host names get nothing: closed on HTTP, TLS handshake refused on HTTPS.
            "server {",
            f"    listen {http} default_server;",
            "    server_name _;",
            "    return 444;",
            "}",
            # The container's healthcheck (curl from inside): on loopback, so nothing outside
            # the container reaches it (an allow/deny would not do: `return` runs before them).
            "server {",
            f"    listen 127.0.0.1:{settings.health_port};",
            "    access_log off;",
            f"    location = {HEALTH_PATH} {{",
            "        return 204;",
            "    }",
            "    location / {",
            "        return 404;",
            "    }",
            "}",
            "server {",
            f"    listen {https} ssl http2 default_server;",
            "    server_name _;",
            "    ssl_reject_handshake on;",
            "}",
            f"include {settings.config_dir}/active/*.conf;",
            "",
        ]
    )


def _acme_location(settings: NginxSettings) -> list[str]:
    return [
        f"    location ^~ {ACME_PATH} {{",
        f"        root {settings.acme_webroot};",
        "        default_type text/plain;",
        "    }",
    ]


def acme_site(settings: NginxSettings, site: NginxSite) -> str:
    """Phase 1 of a host: HTTP only, the ACME webroot; nothing else until TLS is there."""
    _check(settings)
    return "\n".join(
        [
            f"# Phase 1 of {site.host}: waiting for its certificate (components/render/nginx.py).",
            "server {",
            f"    listen {settings.http_port};",
            f"    server_name {site.host};",
            *_acme_location(settings),
            "    location / {",
            "        return 503;",
            "    }",
            "}",
            "",
        ]
    )


def tls_site(settings: NginxSettings, site: NginxSite) -> str:
    """Phase 2 of a host: HTTP redirects to HTTPS (but the webroot), HTTPS serves the routes."""
    _check(settings)
    live = f"{settings.letsencrypt_live}/{site.host}"
    port = "" if settings.https_port == 443 else f":{settings.https_port}"
    headers = [
        f'    add_header {name} "{value}" always;' for name, value in settings.security_headers
    ]
    locations: list[str] = []
    ordered = sorted(site.locations, key=lambda loc: _normal(loc.path))
    for index, loc in enumerate(ordered):
        locations += _location(settings, site, index, loc)
    return "\n".join(
        [
            f"# Phase 2 of {site.host}: TLS with its certificate (components/render/nginx.py).",
            "server {",
            f"    listen {settings.http_port};",
            f"    server_name {site.host};",
            *_acme_location(settings),
            "    location / {",
            f"        return 301 https://$host{port}$request_uri;",
            "    }",
            "}",
            "server {",
            f"    listen {settings.https_port} ssl http2;",
            f"    server_name {site.host};",
            f"    ssl_certificate {live}/fullchain.pem;",
            f"    ssl_certificate_key {live}/privkey.pem;",
            *headers,
            *locations,
            "}",
            "",
        ]
    )


def _location(
    settings: NginxSettings, site: NginxSite, index: int, loc: NginxLocation
) -> list[str]:
    path = _normal(loc.path)
    # One variable per location: proxy_pass with a variable is resolved per request.
    var = f"$upstream_{index}"
    body = [f"        set {var} http://{loc.upstream_host}:{loc.upstream_port};"]
    if is_alias(loc.upstream_host):
        body += [f"        {directive}" for directive in RETRY_DIRECTIVES]
    if loc.allow_from:
        body += [f"        allow {network};" for network in loc.allow_from]
        body.append("        deny all;")
    if loc.users_file is not None:
        body += [
            f'        auth_basic "{site.host}";',
            f"        auth_basic_user_file {users_path(settings, loc.users_file)};",
        ]
    if loc.allow_from and loc.users_file is not None:
        body.append("        satisfy all;")
    # proxy_set_header in a location replaces every inherited one: all of them are here.
    body += [
        "        proxy_http_version 1.1;",
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Real-IP $remote_addr;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        proxy_set_header X-Forwarded-Host $host;",
    ]
    if loc.websocket:
        body += [
            "        proxy_set_header Upgrade $http_upgrade;",
            "        proxy_set_header Connection $connection_upgrade;",
            # An idle WebSocket lives longer than nginx's 60 s default read timeout.
            "        proxy_read_timeout 1h;",
            "        proxy_send_timeout 1h;",
        ]
    else:
        body.append('        proxy_set_header Connection "";')
    body.append(f"        proxy_pass {var};")
    if path == "/":
        return ["    location / {", *body, "    }"]
    # `= /api` and `/api/`: the path itself and below it, not /apiary.
    return [
        f"    location = {path} {{",
        *body,
        "    }",
        f"    location ^~ {path}/ {{",
        *body,
        "    }",
    ]


def users_salt(username: str, password: str) -> bytes:
    """A bcrypt salt derived from the user and the password: the same every `up`.

    A random salt would change the rendered file on every `up`, and with it the container's
    uploads (a replaced proxy each time); the HMAC keeps it secret-dependent (the salt reveals
    nothing without the password) and different per user.
    """
    digest = hmac.new(password.encode(), b"nginx-basic-auth:" + username.encode(), hashlib.sha256)
    raw = digest.digest()[:16]
    # bcrypt's salt is 16 bytes in its own base64: 22 characters (the last holds 2 bits).
    bits = int.from_bytes(raw, "big") << 4  # 128 bits + 4 padding = 132 = 22 * 6
    chars = [_BCRYPT_ALPHABET[(bits >> (6 * (21 - i))) & 0x3F] for i in range(22)]
    return f"$2b${BCRYPT_COST:02d}$".encode() + "".join(chars).encode()


def users_file(users: tuple[tuple[str, str], ...]) -> str:
    """An ``auth_basic_user_file``: ``name:bcrypt-hash`` per (name, password)."""
    problems: list[str] = []
    for name, password in users:
        check(problems, bool(_USER.match(name)), "username", name, "letters, digits, ._@- (no ':')")
        check(problems, bool(password), f"password of {name}", "", "a non-empty password")
        check(
            problems,
            len(password.encode()) <= 72,
            f"password of {name}",
            "(secret)",
            "at most 72 bytes (bcrypt ignores the rest)",
        )
    raise_if("nginx users file", problems)
    lines = [
        f"{name}:{bcrypt.hashpw(password.encode(), users_salt(name, password)).decode()}"
        for name, password in users
    ]
    return "\n".join(lines) + "\n"
