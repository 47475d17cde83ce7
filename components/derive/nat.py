"""The routed-NAT plan: masquerade, DNAT port forwards and hairpin for the private bridge."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from components.spec import PlatformSpec, PortRange

# nftables names: one table owned by this library, so applying it never touches other tables
# (pve-firewall, Docker, the distribution's own ruleset).
NAT_TABLE = "platform_nat"


@dataclass(frozen=True)
class DnatRule:
    """Public ``ports`` of ``protocol`` go to ``target``; one nftables rule whatever the width."""

    protocol: str
    ports: tuple[PortRange, ...]
    target: IPv4Address
    service: str


@dataclass(frozen=True)
class NatPlan:
    table: str
    uplink: str
    public_address: IPv4Address
    bridge: str
    subnet: IPv4Network
    gateway: IPv4Address
    rules: tuple[DnatRule, ...]


def nat_plan(spec: PlatformSpec) -> NatPlan:
    """Group the spec's forwards per (protocol, service), in a stable order."""
    grouped: dict[tuple[str, str], list[PortRange]] = defaultdict(list)
    for forward in spec.forwards:
        grouped[(forward.protocol, forward.to)].append(forward.ports)
    rules = tuple(
        DnatRule(
            protocol=protocol,
            ports=tuple(sorted(ports, key=lambda r: r.start)),
            target=spec.services[service].address,
            service=service,
        )
        for (protocol, service), ports in sorted(
            grouped.items(), key=lambda item: (item[0][0], min(r.start for r in item[1]))
        )
    )
    return NatPlan(
        table=NAT_TABLE,
        uplink=spec.host.uplinkBridge,
        public_address=spec.host.publicAddress,
        bridge=spec.natBridge.name,
        subnet=spec.natBridge.subnet,
        gateway=spec.natBridge.gateway,
        rules=rules,
    )
