"""Nginx Proxy Manager: the proxy of prod and staging (seeds 000 and 002).

NPM has no config files: its proxy hosts, certificates and access lists live in its database and
are set through its REST API on port 81, which is never published (DESIGN.md, "Proxies").
Routes reach it through that API, which the proxy issue builds; until then this kind implies its
public ports and adds nothing to the container.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import WEB_PORTS, AuthForm, ProxyBase, no_problems, no_route_labels, nothing_added

KIND = "nginx-proxy-manager"
PUBLIC_PORTS = WEB_PORTS
# Route authentication this kind configures (none yet: routes asking for it are refused).
AUTH: frozenset[AuthForm] = frozenset()


class Spec(ProxyBase):
    kind: Literal["nginx-proxy-manager"] = Field(description="Nginx Proxy Manager.")


problems = no_problems
route_labels = no_route_labels
contribute = nothing_added
