"""The routed-NAT plan: masquerade, DNAT port forwards and hairpin for the private bridge."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from components.spec import PlatformSpec, PortRange, ProxmoxHostSpec

from .exposure import EdgeOpening, edge_openings

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


def nat_plan(
    spec: PlatformSpec, host: str, openings: tuple[EdgeOpening, ...] | None = None
) -> NatPlan:
    """The forwards of ``host``'s services grouped per (protocol, service), in a stable order."""
    proxmox = spec.hosts[host]
    assert isinstance(proxmox, ProxmoxHostSpec), f"{host} is not a Proxmox host"
    grouped: dict[tuple[str, str], list[PortRange]] = defaultdict(list)
    targets: dict[str, IPv4Address] = {}
    mine = edge_openings(spec, host) if openings is None else openings
    for opening in (o for o in mine if o.host == host):
        grouped[(opening.protocol, opening.service)].append(opening.ports)
        assert opening.target is not None  # services on a Proxmox host run in its guests
        targets[opening.service] = opening.target
    rules = tuple(
        DnatRule(
            protocol=protocol,
            ports=tuple(sorted(ports, key=lambda r: r.start)),
            target=targets[service],
            service=service,
        )
        for (protocol, service), ports in sorted(
            grouped.items(), key=lambda item: (item[0][0], min(r.start for r in item[1]))
        )
    )
    return NatPlan(
        table=NAT_TABLE,
        uplink=proxmox.uplinkBridge,
        public_address=proxmox.publicAddress,
        bridge=proxmox.natBridge.name,
        subnet=proxmox.natBridge.subnet,
        gateway=proxmox.natBridge.gateway,
        rules=rules,
    )
