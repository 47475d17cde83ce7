"""The routes of a stack as Nginx Proxy Manager objects: one component, created after NPM's
container is healthy.

First the admin (``NpmAdmin``: log in with the bootstrap password, set ``adminPassword``), then
per route host: a Let's Encrypt certificate, an access list when its routes ask for auth, and
a proxy host with HTTPS forced (``ssl_forced``, HSTS, HTTP/2, NPM's exploit block). The route
at ``/`` is the host's forward; every other path is a ``location`` with its own forward (NPM
passes the whole URI on: v2.12.6 backend/templates/_location.conf:10). A host without a ``/``
route forwards the rest to its first path's backend. WebSocket upgrade is a host setting in
NPM ("for all paths", backend/schema/components/proxy-host-object.json), on when any route of
the host needs it. Auth (one access list per host; the spec refuses routes of one host that
differ): users become items (passwords write-only), ``allowFrom`` the clients ``allow``, a
final ``deny all``, ``satisfy_any`` false (both must pass); a list of users only allows
``all`` as its client, since NPM denies everyone after the clients (npm_api.py).

Upstreams follow a redeploy (README "Redeploys without downtime"), as the Nginx kind's do (lines
of NginxProxyManager/nginx-proxy-manager at v2.12.6, the same at v2.13.7):

- NPM's ``/`` proxies through variables (backend/templates/proxy_host.conf:8-10 ``set $server
  "<forward_host>"``, docker/rootfs/etc/nginx/conf.d/include/proxy.conf:7 ``proxy_pass
  $forward_scheme://$server:$port$request_uri``), so nginx resolves its name per request; but
  a location's ``proxy_pass`` is literal (_location.conf:10 ``{{ forward_scheme }}://{{
  forward_host }}:{{ forward_port }}``), resolved once when NPM loads its config: after a
  replacement it kept the gone container's address until NPM's next reload. So a location's
  forward host is the variable ``LOCATION_UPSTREAM``, set to the upstream by the location's
  own ``advanced_config`` (rendered at the top of the location block, _location.conf:2):
  ``proxy_pass http://$location_upstream:8000`` is resolved per request too.
- NPM resolves with ``valid=10s`` (docker/rootfs/etc/s6-overlay/s6-rc.d/prepare/40-dynamic.sh:
  11,13) and connects for up to ``90s`` (docker/rootfs/etc/nginx/nginx.conf:33); the proxy
  host's ``advanced_config`` (inside its ``server``, proxy_host.conf:28) sets what the Nginx
  kind sets (components/render/nginx.py): Docker's DNS with ``valid=1s``, and, when its ``/``
  goes to an alias, the 1 s connect with ``proxy_next_upstream error timeout``
  (``RETRY_DIRECTIVES``, which the Nginx kind sets per location to an alias). A location
  whose upstream is of the other sort than the ``/``'s says its own: an alias the retry, an
  address on another machine NPM's own 90 s connect back.
  NPM's container is on a user network (the spec refuses host networking), where Docker's DNS
  is 127.0.0.11.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any
from urllib.parse import urlsplit

import pulumi

from components import names
from components.derive.exposure import ProxyRoute
from components.proxies.npm import NpmPlan
from components.render.nginx import (
    DOCKER_DNS,
    RESOLVER_VALID_SECONDS,
    RETRY_DIRECTIVES,
    is_alias,
    resolver_directives,
)

from .resources import NpmAccessList, NpmAdmin, NpmCertificate, NpmProxyHost, login_props


@dataclass(frozen=True)
class NpmRoutesArgs:
    plan: NpmPlan
    # {sshConfig (relative to the project), alias}: the tunnel (or {url})
    api: pulumi.Input[Mapping[str, str]]
    secret: Callable[[str], pulumi.Output[str]]  # a dotted path under platform:secrets


# A location's forward host: a variable its advanced_config sets (see above).
LOCATION_UPSTREAM = "$location_upstream"
RESOLVER = tuple(resolver_directives(DOCKER_DNS, RESOLVER_VALID_SECONDS))
# NPM's own connect timeout (v2.12.6 docker/rootfs/etc/nginx/nginx.conf:33), for an address
# on another machine in a host whose server block has the alias's 1 s.
NPM_CONNECT = "proxy_connect_timeout 90s;"


def _is_alias(route: ProxyRoute) -> bool:
    """Whether the upstream is a container's network alias (on the proxy's machine), not an
    address on another machine (components/derive/exposure.py ``proxy_routes``)."""
    return is_alias(str(urlsplit(route.upstream).hostname))


def _forward(route: ProxyRoute) -> dict[str, Any]:
    upstream = urlsplit(route.upstream)
    assert upstream.hostname is not None
    assert upstream.port is not None
    return {
        "forwardScheme": upstream.scheme,
        "forwardHost": upstream.hostname,
        "forwardPort": upstream.port,
    }


def clients(route: ProxyRoute) -> list[dict[str, str]]:
    if not route.allow_from:
        return [{"address": "all", "directive": "allow"}] if route.users else []
    allowed = [{"address": cidr, "directive": "allow"} for cidr in route.allow_from]
    return [*allowed, {"address": "all", "directive": "deny"}]


def proxy_host(
    host: str,
    routes: Sequence[ProxyRoute],
    certificate_id: pulumi.Input[int],
    access_list_id: pulumi.Input[int],
) -> dict[str, Any]:
    """The proxy host's inputs for the routes of ``host`` (sorted by path)."""
    main = next((r for r in routes if r.path == "/"), routes[0])
    retry = _is_alias(main)
    return {
        "domainNames": [host],
        **_forward(main),
        "certificateId": certificate_id,
        "sslForced": True,
        "hstsEnabled": True,
        "http2Support": True,
        "blockExploits": True,
        "allowWebsocketUpgrade": any(r.websocket for r in routes),
        "accessListId": access_list_id,
        "enabled": True,
        "advancedConfig": "\n".join([*RESOLVER, *(RETRY_DIRECTIVES if retry else ())]),
        "locations": [_location(r, retry) for r in routes if r.path != "/"],
    }


def _location(route: ProxyRoute, server_retries: bool) -> dict[str, Any]:
    forward = _forward(route)
    config = [f'set {LOCATION_UPSTREAM} "{forward["forwardHost"]}";']
    alias = _is_alias(route)
    if alias != server_retries:
        config += RETRY_DIRECTIVES if alias else (NPM_CONNECT,)
    return {
        "path": route.path,
        **forward,
        "forwardHost": LOCATION_UPSTREAM,
        "advancedConfig": "\n".join(config),
    }


class NpmRoutes(pulumi.ComponentResource):
    admin: NpmAdmin
    proxy_hosts: dict[str, NpmProxyHost]

    def __init__(
        self, name: str, args: NpmRoutesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:proxies:NpmRoutes", name, None, opts)
        plan = args.plan
        admin_password = args.secret(plan.admin_password.path)
        self.admin = NpmAdmin(
            names.child(name, names.NPM_ADMIN),
            api=args.api,
            admin_email=plan.admin_email,
            admin_password=admin_password,
            bootstrap_password=args.secret(plan.bootstrap_password.path),
            opts=pulumi.ResourceOptions(parent=self),
        )
        login = login_props(args.api, plan.admin_email, admin_password)
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.admin])
        self.proxy_hosts = {}
        by_host = sorted(plan.routes, key=lambda r: (r.host, r.path))
        for host, grouped in groupby(by_host, key=lambda r: r.host):
            routes = list(grouped)
            certificate = NpmCertificate(
                names.npm_object(name, names.NPM_CERTIFICATE, host),
                login=login,
                domain_names=[host],
                line=plan.line,
                letsencrypt_email=plan.letsencrypt_email,
                opts=after,
            )
            access_list_id: pulumi.Input[int] = 0
            first = routes[0]
            if first.authenticated:
                access_list_id = NpmAccessList(
                    names.npm_object(name, names.NPM_ACCESS_LIST, host),
                    login=login,
                    list_name=host,
                    items=[
                        {"username": u.username, "password": args.secret(u.password.path)}
                        for u in first.users
                    ],
                    clients=clients(first),
                    opts=after,
                ).npm_id
            self.proxy_hosts[host] = NpmProxyHost(
                names.npm_object(name, names.NPM_PROXY_HOST, host),
                login=login,
                host=proxy_host(host, routes, certificate.npm_id, access_list_id),
                opts=after,
            )
        self.register_outputs({})
