"""Published Docker ports that land on a public address, shared by the port rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from catalog import is_public_bind, port_number


def public_publications(ports: Any, catalog: Mapping[int, str]) -> Iterator[str]:
    """One violation detail per entry of ``ports`` whose container or host port is in
    ``catalog`` and whose binding is public.

    ``ip`` is read only for a catalogued port, so an unknown address on any other port defers
    nothing.
    """
    for port in ports or []:
        internal, external = port_number(port.get("internal")), port_number(port.get("external"))
        if internal not in catalog and external not in catalog:
            continue
        ip = port.get("ip")
        if not is_public_bind(ip):
            continue
        bind = ip or "all addresses"
        if internal in catalog:
            host = external or "a random host port"
            yield f"Port {internal} ({catalog[internal]}) is published as {host} on {bind}."
        else:
            yield (
                f"Host port {external} ({catalog[external]}) is published on {bind} "
                f"for container port {internal}."
            )
