"""Ports held on machines and hosts: two services never hold one port on one machine, edge
ports never collide on a host, nor take a port the host keeps for itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem
from ..partial import parsed
from ..proxmox import HOST_RESERVED_TCP_PORTS, ProxmoxHostSpec

if TYPE_CHECKING:
    from ..platform import PlatformSpec, Publication

# On a server of its own, SSH is the one port the host keeps for itself.
CLOUD_RESERVED_TCP_PORTS: dict[int, str] = {22: "SSH to the server"}


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    on_machine: dict[tuple[str, str], list[Publication]] = {}
    at_edge: dict[tuple[str, str], list[Publication]] = {}
    for name, service in spec.services.items():
        if not parsed(service, "machine"):
            continue  # where its ports are held is unknown
        for item in spec.publications(name):
            machine_items = on_machine.setdefault((service.machine, item.protocol), [])
            for other in machine_items:
                if other.ports.overlaps(item.ports) and other.service != name:
                    yield Problem(
                        item.loc,
                        f"{item.protocol} {item.ports} is already held on {service.machine} by "
                        f"platform:services.{other.service}; two services cannot publish the "
                        "same port on one machine",
                    )
            machine_items.append(item)
            if item.reason != "forward":
                continue
            host_name = spec.known_host_of(service.machine)
            if host_name is None:
                continue  # a guest whose host did not parse: its edge is unknown
            edge_items = at_edge.setdefault((host_name, item.protocol), [])
            for other in edge_items:
                if other.ports.overlaps(item.ports) and other.service != name:
                    yield Problem(
                        item.loc,
                        f"{item.protocol} {item.ports} is already forwarded on host {host_name} "
                        f"to platform:services.{other.service}; each public port goes to one "
                        "service",
                    )
            edge_items.append(item)
            yield from _reserved_ports(spec, host_name, item)


def _reserved_ports(spec: PlatformSpec, host_name: str, item: Publication) -> Iterator[Problem]:
    if item.protocol != "tcp" or host_name not in spec.hosts:
        return
    host = spec.hosts[host_name]
    proxmox = isinstance(host, ProxmoxHostSpec)
    reserved = HOST_RESERVED_TCP_PORTS if proxmox else CLOUD_RESERVED_TCP_PORTS
    for port, use in reserved.items():
        if port in item.ports:
            if item.ports.start == item.ports.end:
                message = (
                    f"{item.ports} is reserved: the host needs tcp {port} for {use}; "
                    "forward another port"
                )
            else:
                message = (
                    f"{item.ports} includes tcp {port}, which the host needs for {use}; forward "
                    f"a range without {port}"
                )
            yield Problem(item.loc, message)
