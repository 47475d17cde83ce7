"""Plain Nginx: the proxy of seed 001 (jupiter).

Its config is rendered from the routes (host and path routing, upstreams, the ACME webroot)
by the proxy issue's work; until then this kind implies its public ports and adds nothing to
the container.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import WEB_PORTS, AuthForm, ProxyBase, no_problems, no_route_labels, nothing_added

KIND = "nginx"
PUBLIC_PORTS = WEB_PORTS
# Route authentication this kind configures (none yet: routes asking for it are refused).
AUTH: frozenset[AuthForm] = frozenset()


class Spec(ProxyBase):
    kind: Literal["nginx"] = Field(description="Nginx with a config rendered from the routes.")


problems = no_problems
route_labels = no_route_labels
contribute = nothing_added
