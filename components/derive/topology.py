"""Where every service runs: service -> Docker engine -> machine -> host.

A machine is a Proxmox guest or a host of a Docker kind (droplet, hcloud, ssh); each machine
that runs at least one service has one Docker engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from components.spec import PlatformSpec, ProxmoxHostSpec


@dataclass(frozen=True)
class Engine:
    """A Docker engine: the machine it runs on and how the program reaches it over SSH."""

    machine: str
    host: str
    host_kind: str  # proxmox (the machine is a guest), droplet, hcloud or ssh
    # The guest's address on the NAT bridge; None on a host, whose address is its public one
    # (known only once a cloud server exists).
    private_address: IPv4Address | None
    services: tuple[str, ...]

    @property
    def in_guest(self) -> bool:
        return self.host_kind == "proxmox"


@dataclass(frozen=True)
class Topology:
    engines: tuple[Engine, ...]
    placement: dict[str, str]  # service -> machine

    def engine(self, machine: str) -> Engine:
        return next(e for e in self.engines if e.machine == machine)

    def engine_of(self, service: str) -> Engine:
        return self.engine(self.placement[service])

    def engines_on(self, host: str) -> tuple[Engine, ...]:
        return tuple(e for e in self.engines if e.host == host)


def topology(spec: PlatformSpec) -> Topology:
    engines = []
    for machine in spec.machines():
        services = tuple(sorted(spec.services_on(machine)))
        if not services:
            continue
        host_name = spec.host_of(machine)
        host = spec.hosts[host_name]
        guest = spec.guests.get(machine)
        engines.append(
            Engine(
                machine=machine,
                host=host_name,
                host_kind=host.kind,
                private_address=guest.address if guest is not None else None,
                services=services,
            )
        )
    placement = {name: service.machine for name, service in sorted(spec.services.items())}
    return Topology(engines=tuple(engines), placement=placement)


def is_proxmox(spec: PlatformSpec, host: str) -> bool:
    return isinstance(spec.hosts[host], ProxmoxHostSpec)


@dataclass(frozen=True)
class EngineNetwork:
    """A Docker network as one engine creates it."""

    key: str  # the name under platform:networks
    docker_name: str
    internal: bool
    subnet: IPv4Network | None = None
    bridge_name: str | None = None


def engine_networks(spec: PlatformSpec, machine: str) -> tuple[EngineNetwork, ...]:
    """The networks the services on ``machine`` join, in the stack file's order."""
    used = {n for service in spec.services_on(machine).values() for n in service.networks}
    return tuple(
        EngineNetwork(
            key=key,
            docker_name=network.dockerName or key,
            internal=network.internal,
            subnet=network.subnet,
            bridge_name=network.bridgeName,
        )
        for key, network in spec.networks.items()
        if key in used
    )
