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

from .resources import NpmAccessList, NpmAdmin, NpmCertificate, NpmProxyHost, login_props


@dataclass(frozen=True)
class NpmRoutesArgs:
    plan: NpmPlan
    # {sshConfig (relative to the project), alias}: the tunnel (or {url})
    api: pulumi.Input[Mapping[str, str]]
    secret: Callable[[str], pulumi.Output[str]]  # a dotted path under platform:secrets


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
        "locations": [{"path": r.path, **_forward(r)} for r in routes if r.path != "/"],
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
