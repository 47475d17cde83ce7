"""cloud-firewall-restricted-inbound: cloud firewalls open only the public service ports.

Reads ``digitalocean:index/firewall:Firewall`` (``inboundRules[{protocol, portRange,
sourceAddresses, action}]``) and ``hcloud:index/firewall:Firewall`` (``rules[{direction,
protocol, port, sourceIps}]``; ``direction: out`` rules are skipped). DigitalOcean rules with
``action: deny`` restrict traffic and are skipped too.

A rule is open to anywhere when its source addresses of one family together cover the whole
address space (``0.0.0.0/0``, ``::/0``, or splits such as ``0.0.0.0/1`` + ``128.0.0.0/1``).
Such a rule must lie inside an entry of the policy config ``publicPorts`` (default tcp 80 and
tcp 443) or ``mediaPorts`` (default udp 50000-60000 and tcp 7881, WebRTC media). An entry is
``{"protocol": "tcp", "ports": "80"}`` or a range ``"50000-60000"``; an entry without
``ports`` admits the whole protocol (for example ``{"protocol": "icmp"}``). ICMP, GRE and ESP
from anywhere are violations unless configured so: the rule admits only listed services.
A rule without a port (tcp/udp), or with ``any``, ``all``, ``0`` or ``1-65535``, covers every
port and is never inside a single-port entry.

SSH: a tcp rule whose ports include 22 admits only source addresses inside the policy config
``sshCidrs`` (default ``[]``: SSH from any address is then a violation). DigitalOcean sources
that are not addresses (``sourceTags``, ``sourceDropletIds``, load balancers, Kubernetes
clusters) are the account's own resources and are not checked. A rule open to anywhere
outside the public ports is reported once, as such, even when it also includes port 22.

Unknown values: the rule's direction/action, protocol and port are read first; a rule inside
the public ports that does not include tcp 22 is accepted without reading its sources. All
other unknown values are deferred: the SDK reports the policy as not run (advisory) during
preview, and ``pulumi up`` checks the resolved values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.networks import Network, covers_anywhere, network
from lib.rule import resource_rule
from lib.types import DO_FIREWALL, HCLOUD_FIREWALL

RESOURCE_TYPES = (DO_FIREWALL, HCLOUD_FIREWALL)
DEFAULT_PUBLIC_PORTS = [{"protocol": "tcp", "ports": "80"}, {"protocol": "tcp", "ports": "443"}]
DEFAULT_MEDIA_PORTS = [
    {"protocol": "udp", "ports": "50000-60000"},
    {"protocol": "tcp", "ports": "7881"},
]
ALL_PORTS_WORDS = ("", "any", "all", "0")
PORTED_PROTOCOLS = ("tcp", "udp")
SSH_PORT = 22


@dataclass(frozen=True)
class Ports:
    """A protocol and an inclusive port range; ``None`` for protocols without ports."""

    protocol: str
    span: tuple[int, int] | None

    def within(self, other: Ports) -> bool:
        if self.protocol != other.protocol:
            return False
        if other.span is None:
            return True
        if self.span is None:
            return False
        return other.span[0] <= self.span[0] and self.span[1] <= other.span[1]

    def includes(self, protocol: str, port: int) -> bool:
        if self.protocol != protocol or self.span is None:
            return False
        return self.span[0] <= port <= self.span[1]

    def __str__(self) -> str:
        if self.span is None:
            return self.protocol
        low, high = self.span
        if (low, high) == (1, 65535):
            return f"{self.protocol} all ports"
        return f"{self.protocol} {low}" if low == high else f"{self.protocol} {low}-{high}"


def _span(protocol: str, text: Any) -> tuple[int, int] | None:
    """The port range of ``text`` ("80", "8000-9000", "any"); ``None`` for port-less protocols."""
    if protocol not in PORTED_PROTOCOLS:
        return None
    if isinstance(text, float) and text.is_integer():
        text = int(text)  # a number where text was expected (JSON config): the same port
    text = "" if text is None else str(text).strip().lower()
    if text in ALL_PORTS_WORDS:
        return (1, 65535)
    low, _, high = text.partition("-")
    try:
        start = int(low)
        end = int(high) if high else start
    except ValueError:
        return (1, 65535)  # not a port we can read: assume the widest
    return (max(start, 1), end)


def _allowed(config: Mapping[str, Any]) -> list[Ports]:
    entries = [
        *config.get("publicPorts", DEFAULT_PUBLIC_PORTS),
        *config.get("mediaPorts", DEFAULT_MEDIA_PORTS),
    ]
    allowed = []
    for entry in entries:
        protocol = str(entry.get("protocol", "")).lower()
        ports = entry.get("ports")
        span = None if ports is None else _span(protocol, ports)
        allowed.append(Ports(protocol, span))
    return allowed


def _outside(sources: Iterable[Any], cidrs: list[Network]) -> list[str]:
    outside = []
    for source in sources:
        parsed = network(source)
        inside = parsed is not None and any(
            parsed.version == cidr.version and parsed.subnet_of(cidr)  # type: ignore[arg-type]
            for cidr in cidrs
        )
        if not inside:
            outside.append(str(source))
    return outside


def _rules(args: ResourceValidationArgs) -> Iterable[tuple[str, Mapping[str, Any], str, str]]:
    """(path, rule, port key, source key) of each inbound allow rule."""
    if args.resource_type == DO_FIREWALL:
        for index, rule in enumerate(args.props.get("inboundRules") or []):
            if str(rule.get("action") or "allow").lower() != "deny":
                yield f"inboundRules[{index}]", rule, "portRange", "sourceAddresses"
    elif args.resource_type == HCLOUD_FIREWALL:
        for index, rule in enumerate(args.props.get("rules") or []):
            if str(rule.get("direction") or "").lower() == "in":
                yield f"rules[{index}]", rule, "port", "sourceIps"


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config() or {}
    allowed = _allowed(config)
    ssh_cidrs = [n for n in map(network, config.get("sshCidrs", [])) if n is not None]
    for path, rule, port_key, source_key in _rules(args):
        protocol = str(rule.get("protocol") or "").lower()
        ports = Ports(protocol, _span(protocol, rule.get(port_key)))
        public = any(ports.within(entry) for entry in allowed)
        ssh = ports.includes("tcp", SSH_PORT)
        if public and not ssh:
            continue  # whoever the sources are, this is a public service port
        sources = list(rule.get(source_key) or [])
        if not public and covers_anywhere(sources):
            listed = ", ".join(map(str, allowed)) or "nothing"
            report_violation(
                f"{path} allows {ports} from {', '.join(map(str, sources))}; from anywhere "
                f"only {listed} may be open.",
                None,
            )
        elif ssh and (outside := _outside(sources, ssh_cidrs)):
            trusted = ", ".join(map(str, ssh_cidrs)) or "none configured"
            report_violation(
                f"{path} allows SSH ({ports}) from {', '.join(outside)}, outside sshCidrs "
                f"({trusted}).",
                None,
            )


_PORTS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"protocol": {"type": "string"}, "ports": {"type": "string"}},
        "required": ["protocol"],
    },
}

cloud_firewall_restricted_inbound = resource_rule(
    name="cloud-firewall-restricted-inbound",
    rule_id="CLD-001",
    resource_types=RESOURCE_TYPES,
    description=(
        "Cloud firewalls (DigitalOcean, Hetzner Cloud) open only the public service ports to "
        "anywhere, and SSH only to the configured networks."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Limit the rule's sources to known networks, or narrow it to a public port (config "
        "`publicPorts`, `mediaPorts`); allow SSH only from the networks in `sshCidrs` (an "
        "office, a VPN or a bastion) or reach the host over a VPN."
    ),
    config={
        "publicPorts": _PORTS_SCHEMA,
        "mediaPorts": _PORTS_SCHEMA,
        "sshCidrs": {"type": "array", "items": {"type": "string"}},
    },
    validate=_validate,
)
