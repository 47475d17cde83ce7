"""The NAT ruleset in nftables syntax, loadable with ``nft -f`` on a fresh host.

The file recreates only its own table in one transaction (``table``/``delete table``/``table``),
so loading it is atomic and leaves every other table on the host alone.
"""

from __future__ import annotations

from components.derive import DnatRule, NatPlan


def _ports(rule: DnatRule) -> str:
    items = [str(r) for r in rule.ports]
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def nat_ruleset(plan: NatPlan) -> str:
    uplink, bridge, subnet = f'"{plan.uplink}"', f'"{plan.bridge}"', plan.subnet
    dnat = [
        f"        ip daddr {plan.public_address} {r.protocol} dport {_ports(r)} "
        f'dnat to {r.target} comment "{r.service}"'
        for r in plan.rules
    ]
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
        "    chain forward {",
        "        type filter hook forward priority filter; policy accept;",
        "        # From the uplink only forwarded ports and replies reach the private bridge;",
        "        # a routed packet to a guest address that was not forwarded is dropped.",
        f"        iifname {uplink} oifname {bridge} ct state established,related accept",
        f"        iifname {uplink} oifname {bridge} ct status dnat accept",
        f"        iifname {uplink} oifname {bridge} counter drop",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)
