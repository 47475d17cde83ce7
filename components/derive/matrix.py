"""The connectivity matrix: which service sits on which Docker network (seed 004's table)."""

from __future__ import annotations

from dataclasses import dataclass

from components.spec import PlatformSpec

YES, NO = "✓", "✗"


@dataclass(frozen=True)
class Matrix:
    """Docker networks are an engine's own: two services meet on a network only on one machine."""

    services: tuple[str, ...]
    networks: tuple[str, ...]
    members: frozenset[tuple[str, str]]  # (service, network)
    machines: dict[str, str]  # service -> machine

    def connected(self, service: str, network: str) -> bool:
        return (service, network) in self.members

    def share_network(self, first: str, second: str) -> bool:
        """Whether two services can reach each other over a Docker network."""
        if self.machines[first] != self.machines[second]:
            return False
        return any(self.connected(first, n) and self.connected(second, n) for n in self.networks)

    def as_table(self) -> str:
        """A Markdown table in the seed's shape: a row per service, a column per network (and a
        machine column when the stack has more than one engine)."""
        several = len(set(self.machines.values())) > 1
        header = ["Service", *(["Machine"] if several else []), *self.networks]
        rows = [
            [
                f"**{service}**",
                *([self.machines[service]] if several else []),
                *(YES if self.connected(service, n) else NO for n in self.networks),
            ]
            for service in self.services
        ]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)


def connectivity(spec: PlatformSpec) -> Matrix:
    """Services in declaration order (as the stack file reads), networks likewise."""
    members = frozenset(
        (name, network) for name, service in spec.services.items() for network in service.networks
    )
    return Matrix(
        services=tuple(spec.services),
        networks=tuple(spec.networks),
        members=members,
        machines={name: service.machine for name, service in spec.services.items()},
    )
