"""The NAT ruleset in nftables syntax, loadable with ``nft -f`` on a fresh host.

The file recreates only its own table in one transaction (``table``/``delete table``/``table``),
so loading it is atomic and leaves every other table on the host alone.

Besides the port forwards and the masquerade, the table keeps two promises:

- **No private source leaves on the uplink.** Hetzner reports packets with RFC 1918 sources as a
  network scan. Masquerade only rewrites packets of connections conntrack tracks with a NAT
  binding, so three kinds of guest packets would leave untranslated: packets conntrack calls
  invalid (a guest's RST or late FIN for a connection the host never tracked or already
  forgot), untracked packets, and packets of a connection conntrack started before this table
  existed (no NAT binding is ever added to an established entry). The forward chain drops the
  first two; ``uplink_guard``, a postrouting chain after source NAT, drops anything whose
  source is *still* private as it leaves on the uplink, whatever produced it.
- **Guests cannot reach the host's management ports** (SSH, the web UI/API, the SPICE proxy)
  on any host address, unless the stack lists the port as reachable for guests.

The forward chain accepts tracked flows in its first rule, so a media packet of an established
flow costs one conntrack-state lookup; the guard costs four address comparisons
(``benchmarks/udp_nat.py`` measures both against the same path routed without NAT).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network

from components.derive import DnatRule, NatPlan
from components.spec.proxmox import HOST_RESERVED_TCP_PORTS, RFC1918_NETWORKS

# Sources that must never appear on the uplink: RFC 1918 and the shared address space of
# RFC 6598 (carrier-grade NAT), neither of which the internet routes back.
PRIVATE_SOURCES: tuple[IPv4Network, ...] = (*RFC1918_NETWORKS, IPv4Network("100.64.0.0/10"))

# The host's own TCP services that guests must not reach unless configured.
MANAGEMENT_TCP_PORTS: frozenset[int] = frozenset(HOST_RESERVED_TCP_PORTS)


def _ports(rule: DnatRule) -> str:
    items = [str(r) for r in rule.ports]
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _set(items: Iterable[object]) -> str:
    return "{ " + ", ".join(str(i) for i in items) + " }"


def nat_ruleset(plan: NatPlan, *, guest_host_ports: frozenset[int] = frozenset()) -> str:
    """The table for ``plan``.

    ``guest_host_ports``: management TCP ports (of 22, 8006, 3128) that guests may reach on
    the host; every other one is refused to traffic arriving from the NAT bridge.
    """
    unknown = sorted(guest_host_ports - MANAGEMENT_TCP_PORTS)
    if unknown:
        raise ValueError(
            f"guest_host_ports {unknown} are not host management ports; "
            f"allowed: {sorted(MANAGEMENT_TCP_PORTS)}"
        )
    uplink, bridge, subnet = f'"{plan.uplink}"', f'"{plan.bridge}"', plan.subnet
    dnat = [
        f"        ip daddr {plan.public_address} {r.protocol} dport {_ports(r)} "
        f'dnat to {r.target} comment "{r.service}"'
        for r in plan.rules
    ]
    closed = sorted(MANAGEMENT_TCP_PORTS - guest_host_ports)
    input_rules = (
        [
            "        # Guests are tenants, not operators: no SSH, web UI or SPICE proxy for them,",
            "        # whichever host address they aim at.",
            f"        iifname {bridge} tcp dport {_set(closed)} counter reject with tcp reset",
        ]
        if closed
        else ["        # Every management port is open to guests by configuration."]
    )
    lines = [
        "#!/usr/sbin/nft -f",
        "# Managed by Pulumi (selfhosted-platform): routed NAT for the private guest bridge.",
        "# Edit the stack config, not this file.",
        f"table ip {plan.table}",
        f"delete table ip {plan.table}",
        "",
        f"table ip {plan.table} {{",
        "    chain prerouting {",
        "        type nat hook prerouting priority dstnat; policy accept;",
        "        # Public ports forwarded straight to a guest; also matches guests that reach",
        "        # the public address (hairpin), so they get the same target as the internet.",
        *dnat,
        "    }",
        "",
        "    chain output {",
        "        # The host itself reaching its public address on a forwarded port.",
        "        # (-100 is dstnat; nft accepts the keyword only on prerouting.)",
        "        type nat hook output priority -100; policy accept;",
        *dnat,
        "    }",
        "",
        "    chain postrouting {",
        "        type nat hook postrouting priority srcnat; policy accept;",
        "        # Guests leave behind the single public address: one MAC on the uplink.",
        f"        ip saddr {subnet} oifname {uplink} masquerade",
        "        # Hairpin: a guest reached through the public address answers via the host.",
        f"        ip saddr {subnet} oifname {bridge} ct status dnat masquerade",
        "    }",
        "",
        "    chain uplink_guard {",
        "        # After source NAT: whatever still carries a private source never leaves.",
        "        # One prefix rule per range, source first: a public source fails each rule at",
        "        # its first comparison, cheaper per media packet than an interval-set lookup.",
        "        type filter hook postrouting priority srcnat + 10; policy accept;",
        *(f"        ip saddr {net} oifname {uplink} counter drop" for net in PRIVATE_SOURCES),
        "    }",
        "",
        "    chain forward {",
        "        type filter hook forward priority filter; policy accept;",
        "        # Tracked flows first: an established media packet stops here.",
        "        ct state established,related accept",
        "        # Conntrack cannot translate what it does not track: drop it before the uplink.",
        f"        iifname {bridge} ct state invalid,untracked counter drop",
        "        # From the uplink only forwarded ports reach the private bridge; a routed packet",
        "        # to a guest address that was not forwarded is dropped.",
        f"        iifname {uplink} oifname {bridge} ct status dnat accept",
        f"        iifname {uplink} oifname {bridge} counter drop",
        "    }",
        "",
        "    chain input {",
        "        type filter hook input priority filter; policy accept;",
        *input_rules,
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)
