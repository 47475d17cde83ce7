"""Traefik's Docker labels for the routed services on the proxy's engine.

Traefik reads its routers from container labels (Traefik docs, "Docker provider: Routing
Configuration"). One router per route exposure: ``Host(`h`)`` plus ``PathPrefix`` when the
path is not ``/``, on the TLS entrypoint with the stack's certificate resolver, to the
service's port over the proxy's network.
"""

from __future__ import annotations

from components.spec import PlatformSpec

from .exposure import ProxyRoute, proxy_routes

ENTRYPOINT = "websecure"


def traefik_labels(
    spec: PlatformSpec, service: str, routes: tuple[ProxyRoute, ...] | None = None
) -> dict[str, str]:
    """Labels for ``service``; empty unless the stack's proxy is Traefik and routes to it."""
    proxy = spec.proxy
    if proxy is None or proxy.kind != "traefik" or service == proxy.service:
        return {}
    mine = [r for r in (proxy_routes(spec) if routes is None else routes) if r.service == service]
    if not mine:
        return {}
    labels = {"traefik.enable": "true"}
    if proxy.network is not None:
        network = spec.networks[proxy.network]
        labels["traefik.docker.network"] = network.dockerName or proxy.network
    ports = sorted({r.port for r in mine})
    for index, route in enumerate(mine):
        router = f"{service}-{index}" if len(mine) > 1 else service
        rule = f"Host(`{route.host}`)"
        if route.path != "/":
            rule += f" && PathPrefix(`{route.path}`)"
        backend = f"{service}-{route.port}" if len(ports) > 1 else service
        labels[f"traefik.http.routers.{router}.rule"] = rule
        labels[f"traefik.http.routers.{router}.entrypoints"] = ENTRYPOINT
        labels[f"traefik.http.routers.{router}.tls.certresolver"] = proxy.certResolver
        labels[f"traefik.http.routers.{router}.service"] = backend
        labels[f"traefik.http.services.{backend}.loadbalancer.server.port"] = str(route.port)
    return labels
