"""Find DNAT port forwards in shell text: nftables rules and iptables commands.

Policies cannot read a host's firewall, but they can read the text a program sends to it: the
ruleset a pulumi-command resource loads (its create/update command or stdin).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NFT_DNAT = re.compile(
    r"\b(?P<proto>tcp|udp)\s+dport\s+(?P<ports>\{[^}]*\}|[0-9][0-9-]*)"
    r"[^\n;]*?\bdnat\s+(?:ip\s+)?to\s+(?P<target>[0-9.]+)(?::(?P<tport>[0-9-]+))?"
)
_IPT_DNAT = re.compile(
    r"-p\s+(?P<proto>tcp|udp)\b[^\n;]*?--dports?\s+(?P<ports>[0-9:,]+)[^\n;]*?-j\s+DNAT"
    r"[^\n;]*?--to-destination\s+(?P<target>[0-9.]+)(?::(?P<tport>[0-9-]+))?"
)


@dataclass(frozen=True)
class Forward:
    protocol: str
    start: int
    end: int
    target: str

    def __str__(self) -> str:
        ports = str(self.start) if self.start == self.end else f"{self.start}-{self.end}"
        return f"{self.protocol} {ports} -> {self.target}"


def _ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for item in re.split(r"[\s,{}]+", text.replace(":", "-")):
        if not item:
            continue
        low, _, high = item.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            ranges.append((int(low), int(high or low)))
    return ranges


def dnat_forwards(text: str) -> list[Forward]:
    """Every (protocol, public port range, target) a DNAT rule in ``text`` forwards.

    A rule that rewrites the port counts for both its public and its target ports, so
    forwarding 15432 to a guest's 5432 is still a database forward.
    """
    forwards: set[Forward] = set()
    for pattern in (_NFT_DNAT, _IPT_DNAT):
        for match in pattern.finditer(text):
            proto, target = match["proto"], match["target"]
            port_text = match["ports"] + ("," + match["tport"] if match["tport"] else "")
            for start, end in _ranges(port_text):
                forwards.add(Forward(proto, start, end, target))
    return sorted(forwards, key=lambda f: (f.protocol, f.start, f.end, f.target))
