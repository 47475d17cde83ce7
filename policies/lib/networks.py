"""Whether a set of source addresses is "anywhere", one answer for every rule that asks.

A firewall or database rule is open to anywhere when its sources of one address family
together cover the whole family: ``0.0.0.0/0`` and ``::/0``, but also any split of them, such
as ``0.0.0.0/1`` + ``128.0.0.0/1`` (scanners that look for the literal ``0.0.0.0/0`` miss
those). Text that is not a network (a tag, a droplet id) is ignored here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

IPV4_ANYWHERE = ipaddress.IPv4Network("0.0.0.0/0")
IPV6_ANYWHERE = ipaddress.IPv6Network("::/0")


def network(text: Any) -> Network | None:
    """``text`` as a network (host bits allowed), or None when it is not one."""
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None


def covers_anywhere(sources: Iterable[Any]) -> bool:
    """Whether the sources of one address family together cover that whole family."""
    networks = [n for n in map(network, sources) if n is not None]
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return IPV4_ANYWHERE in ipaddress.collapse_addresses(v4) or IPV6_ANYWHERE in (
        ipaddress.collapse_addresses(v6)
    )
