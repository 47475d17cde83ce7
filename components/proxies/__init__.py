"""Proxy kinds, one module each, registered by the ``kind`` of ``platform:proxy``.

A proxy module owns what the stack knows about one kind of proxy: its spec model (``Spec``, the
``platform:proxy`` block), its checks (``problems``), the public ports it implies (``PUBLIC_PORTS``:
80 and 443 are the proxy's, never written by hand), how routes reach it (``route_labels``: Docker
labels for Traefik; the others are configured by the proxy issue's work) and what it adds to its
own container (``contribute``: Traefik's rendered static config). Adding a kind is its module,
its renderer(s) and its tests, and one entry in ``kinds.MODULES``.
"""

from __future__ import annotations

# The spec's `proxy` union is built from `kinds.MODULES`, and the proxy modules use the spec's
# value types: importing the spec first keeps that cycle in one order (see components/apps).
import components.spec  # noqa: F401  # isort: skip

from .kinds import MODULES, PROXIES, ProxyKind, proxy_kind

__all__ = ["MODULES", "PROXIES", "ProxyKind", "proxy_kind"]
