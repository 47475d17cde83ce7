"""Plain Nginx: the proxy of seed 001 (jupiter). Its config is rendered from the routes into
its container (components/render/nginx.py: one site per route host, two phases for Let's
Encrypt; components/render/nginx_acme.py: the entrypoint script that switches a host to TLS once
its certificate exists and reloads only after ``nginx -t`` passes).

The image is the official ``nginx`` (Debian-based): it includes /etc/nginx/conf.d/*.conf and runs
/docker-entrypoint.d/*.sh before nginx. A ``command`` other than the image's (``nginx -g
'daemon off;'``) would skip those scripts (docker-entrypoint.sh:12 runs them only when the
command is nginx), so the stack refuses one. Certificates come from an ACME client in its own
container (the stacks run certbot with ``certonly --webroot``) writing into the webroot and the
certificate directory this container reads (README "Plain Nginx and Let's Encrypt").
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field

from components.values import AppContribution, FilePlan, Rendered

from .base import WEB_PORTS, AuthForm, ProxyBase, command_refused, no_route_labels

if TYPE_CHECKING:
    from components.derive.exposure import ProxyRoute
    from components.render.nginx import NginxLocation, NginxSettings
    from components.spec.errors import Problem
    from components.spec.platform import PlatformSpec
    from components.spec.services import ServiceSpec

KIND = "nginx"
PUBLIC_PORTS = WEB_PORTS
# Route authentication this kind configures: basic auth and source networks, both proven with
# the real nginx (tests/network/test_nginx_proxy.py).
AUTH: frozenset[AuthForm] = frozenset({"users", "allowFrom"})
# The nginx user of the official image (stable/debian/Dockerfile:18-19: uid and gid 101): its
# workers read the users files at request time; the files are root's, readable by that group.
_NGINX_GID = "101"


class Spec(ProxyBase):
    kind: Literal["nginx"] = Field(description="Nginx with a config rendered from the routes.")
    resolver: IPv4Address = Field(
        default=IPv4Address("127.0.0.11"),
        description="DNS server nginx resolves upstream names with at request time (Docker's "
        "embedded DNS), so a replaced backend's new address is followed without a reload.",
    )
    tlsCheckSeconds: int = Field(
        default=300,
        ge=10,
        le=86400,
        description="How often the container looks for new or renewed certificates (then "
        "`nginx -t`, then reload).",
    )


def _spec(proxy: ProxyBase) -> Spec:
    assert isinstance(proxy, Spec)
    return proxy


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    yield from command_refused(
        spec,
        "the nginx image runs the stack's TLS switch from /docker-entrypoint.d/ only with its "
        "own command; remove the command",
    )


route_labels = no_route_labels


def users_file_name(route: ProxyRoute) -> str:
    """The users file of a route: its host and path, e.g. app.example.com-rabbitmq."""
    return f"{route.host}-{route.path.strip('/').replace('/', '-') or 'root'}"


def settings(proxy: ProxyBase, routes: Sequence[ProxyRoute]) -> NginxSettings:
    """The renderer's input from the routes (every route of the stack goes through Nginx)."""
    from components.render.nginx import NginxSettings, NginxSite  # noqa: PLC0415

    hosts: dict[str, list[NginxLocation]] = {}
    for route in routes:
        hosts.setdefault(route.host, []).append(_location(route))
    spec = _spec(proxy)
    return NginxSettings(
        sites=tuple(NginxSite(host, tuple(locations)) for host, locations in hosts.items()),
        resolver=str(spec.resolver),
    )


def _location(route: ProxyRoute) -> NginxLocation:
    from components.render.nginx import NginxLocation  # noqa: PLC0415

    upstream = urlsplit(route.upstream)
    assert upstream.hostname is not None
    assert upstream.port is not None
    return NginxLocation(
        path=route.path,
        upstream_host=upstream.hostname,
        upstream_port=upstream.port,
        websocket=route.websocket,
        users_file=users_file_name(route) if route.users else None,
        allow_from=route.allow_from,
    )


def contribute(
    proxy: ProxyBase, service: ServiceSpec, network: str | None, routes: Sequence[ProxyRoute]
) -> AppContribution:
    from components.render.nginx import (  # noqa: PLC0415
        HTTP_CONF,
        acme_site,
        http_conf,
        site_file,
        tls_site,
        users_path,
    )
    from components.render.nginx_acme import (  # noqa: PLC0415
        SCRIPT_PATH,
        TlsSwitchSettings,
        tls_switch_script,
    )

    if not routes:
        return AppContribution()
    config = settings(proxy, routes)
    files = [FilePlan(path=HTTP_CONF, content=http_conf(config))]
    for site in config.sites:
        files.append(FilePlan(site_file(config, site.host, "acme"), acme_site(config, site)))
        files.append(FilePlan(site_file(config, site.host, "tls"), tls_site(config, site)))
    script = tls_switch_script(
        TlsSwitchSettings(nginx=config, interval_seconds=_spec(proxy).tlsCheckSeconds)
    )
    files.append(FilePlan(path=SCRIPT_PATH, content=script, mode="0755"))
    for route in routes:
        if route.users:
            files.append(
                FilePlan(
                    path=users_path(config, users_file_name(route)),
                    content=_users(route),
                    mode="0440",
                    owner="0",
                    group=_NGINX_GID,
                )
            )
    return AppContribution(files=tuple(files))


def _users(route: ProxyRoute) -> Rendered:
    """The route's users file, hashed at apply time from the secrets (a secret itself)."""
    names = tuple(user.username for user in route.users)
    arguments = {f"user{index}": user.password.path for index, user in enumerate(route.users)}

    def render(values: Mapping[str, str]) -> str:
        from components.render.nginx import users_file  # noqa: PLC0415

        return users_file(tuple((name, values[f"user{index}"]) for index, name in enumerate(names)))

    return Rendered(render=render, secrets=arguments)
