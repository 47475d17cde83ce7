"""docker-container-admin-panel-authenticated: admin panels only through the proxy, with auth.

A ``docker:index/container:Container`` runs an admin panel when its image is one of
``images.ADMIN_IMAGES`` (Portainer, DbGate, Jenkins, Grafana, phpMyAdmin, Adminer,
mongo-express, pgAdmin, Prometheus, Alertmanager) or a RabbitMQ ``management`` image. Such a
container

- publishes no port on a public address (``ports.is_public_bind``), whatever its number: the
  panel is reached through the proxy, never straight;
- and every way the proxy serves it authenticates:
  - Traefik (its Docker provider reads the container's labels): each router of the container
    (``traefik.http.routers.<r>.rule``) names, in ``traefik.http.routers.<r>.middlewares``, a
    middleware that authenticates (``basicAuth``, ``digestAuth``, ``forwardAuth``, or
    ``ipAllowList`` / v2's ``ipWhiteList``) defined in the container's own labels; a middleware
    defined elsewhere (``@file``, another container) cannot be checked here and does not count.
    A container Traefik serves with no router label gets Traefik's default router
    (``Host(`<name>`)``, no middleware) unless ``traefik.enable`` is ``false``: that counts as
    unauthenticated too, once the container carries any ``traefik.`` label.
  - Nginx Proxy Manager proxy hosts and plain Nginx configs are not container labels: the
    stack rule ``proxy-route-admin-panel-authenticated`` checks their routes to these images.

Label keys are matched as Traefik reads them: the option names case-insensitively
(``basicauth`` and ``basicAuth`` are one), router and middleware names as written.

Unknown values are deferred: an unknown image or label list makes the SDK report the policy as
not run (advisory) during preview; ``pulumi up`` checks the resolved values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from lib.images import admin_panel
from lib.ports import is_public_bind
from lib.readers import number
from lib.rule import each_detail, resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
# Traefik middleware types that let only some clients through (lower-cased option names).
AUTHENTICATING = ("basicauth", "digestauth", "forwardauth", "ipallowlist", "ipwhitelist")
_ROUTER = "traefik.http.routers."
_MIDDLEWARE = "traefik.http.middlewares."


def _labels(props: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(entry.get("label")): str(entry.get("value"))
        for entry in props.get("labels") or []
        if entry.get("label") is not None
    }


def _authenticating_middlewares(labels: Mapping[str, str]) -> set[str]:
    found = set()
    for key in labels:
        if key.startswith(_MIDDLEWARE):
            name, _, rest = key[len(_MIDDLEWARE) :].partition(".")
            if rest.split(".", 1)[0].lower() in AUTHENTICATING:
                found.add(name)
    return found


def _traefik_routes(name: str, app: str, labels: Mapping[str, str]) -> Iterator[str]:
    if not any(key.startswith("traefik.") for key in labels):
        return
    if labels.get("traefik.enable", "").lower() == "false":
        return
    routers = sorted(
        {
            key[len(_ROUTER) :].partition(".")[0]
            for key in labels
            if key.startswith(_ROUTER) and key.endswith(".rule")
        }
    )
    if not routers:
        yield (
            f"Container {name} runs {app} and Traefik serves it with its default router (no "
            "router labels), which authenticates no one."
        )
        return
    authenticating = _authenticating_middlewares(labels)
    for router in routers:
        named = [
            m.strip().removesuffix("@docker")
            for m in labels.get(f"{_ROUTER}{router}.middlewares", "").split(",")
            if m.strip()
        ]
        if any(m in authenticating for m in named):
            continue
        elsewhere = [m for m in named if "@" in m or not _defined(labels, m)]
        if elsewhere:
            yield (
                f"Container {name} runs {app} and Traefik router {router} has no authenticating "
                f"middleware in the container's labels (middleware {', '.join(elsewhere)} is "
                "defined elsewhere and cannot be checked)."
            )
        else:
            yield (
                f"Container {name} runs {app} and Traefik router {router} serves it with no "
                "authentication (basicAuth, digestAuth, forwardAuth or ipAllowList)."
            )


def _defined(labels: Mapping[str, str], middleware: str) -> bool:
    return any(key.startswith(f"{_MIDDLEWARE}{middleware}.") for key in labels)


def _public_ports(name: str, app: str, ports: Any) -> Iterator[str]:
    for port in ports or []:
        ip = port.get("ip")
        if is_public_bind(ip):
            internal = number(port.get("internal"))
            protocol = str(port.get("protocol") or "tcp").lower()
            yield (
                f"Container {name} runs {app} and publishes port {internal}/{protocol} on "
                f"{ip or 'all addresses'}; an admin panel is reached only through the proxy."
            )


def _details(args: ResourceValidationArgs) -> Iterator[str]:
    app = admin_panel(str(args.props.get("image") or ""))
    if app is None:
        return
    yield from _public_ports(args.name, app, args.props.get("ports"))
    yield from _traefik_routes(args.name, app, _labels(args.props))


docker_container_admin_panel_authenticated = resource_rule(
    name="docker-container-admin-panel-authenticated",
    rule_id="DKR-022",
    resource_types=RESOURCE_TYPES,
    description=(
        "Admin panels (Portainer, DbGate, Jenkins, RabbitMQ management, Grafana, ...) are "
        "reached only through the proxy, and every proxy route to them authenticates."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Publish no port of the panel; route it through the proxy with authentication: in the "
        "stack file, the route's `auth` (users for basic auth, or allowFrom networks); with "
        "Traefik labels, a basicAuth, forwardAuth or ipAllowList middleware on each router."
    ),
    validate=each_detail(_details),
)
