"""Which Docker containers of a stack a proxy's upstream (``host:port``) reaches.

A proxy names its backend by a name Docker's embedded DNS answers on a user network (the
container's ``name``, or one of its ``networksAdvanced[].aliases``) or by an address and port
the container publishes (``ports[].ip`` and ``external``: prod's guests are reached on their
NAT address). The network a name is looked up on is not compared: every container of the stack
answering to the name counts, which can only report more, never less.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from lib.readers import number
from lib.types import DOCKER_CONTAINER

DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443}


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int | None

    def __str__(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"


def parse_upstream(url: str) -> Upstream | None:
    """``scheme://host[:port][/...]`` as an upstream, or None when it names no host."""
    text = url if "://" in url else f"http://{url}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return Upstream(parts.hostname.lower(), port or DEFAULT_PORTS.get(parts.scheme.lower()))


@dataclass
class ContainerIndex:
    """The stack's containers by DNS name and by published address. The first unknown value
    met while indexing names (or addresses) is kept, and raised by a lookup of a name (or of
    an address) that found nothing: it might have matched. An unknown published address
    never defers a lookup by name."""

    by_name: dict[str, list[PolicyResource]] = field(default_factory=dict)
    by_address: dict[tuple[str, int], list[PolicyResource]] = field(default_factory=dict)
    unknown_name: UnknownValueError | None = None
    unknown_address: UnknownValueError | None = None

    def reached(self, upstream: Upstream) -> list[PolicyResource]:
        found = list(self.by_name.get(upstream.host, []))
        if upstream.port is not None:
            found += self.by_address.get((upstream.host, upstream.port), [])
        if not found:
            address = self.unknown_address if _is_address(upstream.host) else None
            unknown = address or self.unknown_name
            if unknown is not None:
                raise unknown
        return list({c.urn: c for c in found}.values())

    def _add(self, container: PolicyResource) -> None:
        try:
            names = [container.props.get("name")]
            for network in container.props.get("networksAdvanced") or []:
                names += list(network.get("aliases") or [])
            for name in names:
                if name:
                    self.by_name.setdefault(str(name).lower(), []).append(container)
        except UnknownValueError as error:
            self.unknown_name = self.unknown_name or error
        try:
            for port in container.props.get("ports") or []:
                ip, external = port.get("ip"), number(port.get("external"))
                if ip and isinstance(external, int):
                    self.by_address.setdefault((str(ip), external), []).append(container)
        except UnknownValueError as error:
            self.unknown_address = self.unknown_address or error


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def index_containers(resources: Iterable[PolicyResource]) -> ContainerIndex:
    index = ContainerIndex()
    for resource in resources:
        if resource.resource_type == DOCKER_CONTAINER:
            index._add(resource)
    return index
