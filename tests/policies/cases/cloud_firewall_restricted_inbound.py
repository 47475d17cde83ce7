"""cloud-firewall-restricted-inbound: DigitalOcean and Hetzner Cloud firewalls; "anywhere"
by lib.networks.covers_anywhere; the allowed ports from policy config."""

from __future__ import annotations

import json
from typing import Any

from components.plan.recording import UNKNOWN, RecordedResource

from ..conftest import PACK_DIR, resource
from ..fixtures_cloud import (
    ANYWHERE,
    APP_FIREWALL,
    DO_FIREWALL,
    DO_PUBLIC_RULES,
    EDGE,
    HCLOUD_FIREWALL,
    HCLOUD_PUBLIC_RULES,
    inbound_do,
    rule_hcloud,
    with_properties,
)
from ..harness import RuleCases, fails, named, passes, policy_of, unknown

POLICY = policy_of(__name__)
SHIPPED = json.loads((PACK_DIR / "policy-config.json").read_text())[POLICY]
DEFAULT_ALLOWED = "tcp 80, tcp 443, udp 50000-60000, tcp 7881"
DO_NEXT = f"inboundRules[{len(DO_PUBLIC_RULES)}]"
HCLOUD_NEXT = f"rules[{len(HCLOUD_PUBLIC_RULES)}]"


def anywhere(path: str, ports: str, sources: str, allowed: str = DEFAULT_ALLOWED) -> str:
    return f"{path} allows {ports} from {sources}; from anywhere only {allowed} may be open."


def ssh(path: str, ports: str, outside: str, trusted: str = "none configured") -> str:
    return f"{path} allows SSH ({ports}) from {outside}, outside sshCidrs ({trusted})."


def do_rule(rule: dict[str, Any]) -> RecordedResource:
    return with_properties(APP_FIREWALL, inboundRules=[*DO_PUBLIC_RULES, rule])


def hcloud_rule(rule: dict[str, Any]) -> RecordedResource:
    return with_properties(EDGE, rules=[*HCLOUD_PUBLIC_RULES, rule])


def do_firewall(name: str, *rules: dict[str, Any]) -> RecordedResource:
    return resource(DO_FIREWALL, name, {"name": name, "inboundRules": list(rules)})


def hcloud_firewall(name: str, *rules: dict[str, Any]) -> RecordedResource:
    return resource(HCLOUD_FIREWALL, name, {"name": name, "rules": list(rules)})


def _p(*args: Any, id: str) -> tuple[Any, ...]:
    return (id, *args)


FAILING = [
    _p(
        do_rule(inbound_do("tcp", "22", ANYWHERE)),
        anywhere(DO_NEXT, "tcp 22", "0.0.0.0/0, ::/0"),
        id="do-ssh-from-anywhere",
    ),
    _p(
        do_rule(inbound_do("tcp", "22", ["198.51.100.7/32"])),
        ssh(DO_NEXT, "tcp 22", "198.51.100.7/32"),
        id="do-ssh-from-an-address-not-configured",
    ),
    _p(
        do_rule(inbound_do("tcp", "22", ["10.0.0.0/8", "198.51.100.7"])),
        ssh(DO_NEXT, "tcp 22", "10.0.0.0/8, 198.51.100.7"),
        id="do-ssh-from-private-and-single-address",
    ),
    _p(
        do_rule(inbound_do("tcp", "20-30", ["203.0.113.0/24"])),
        ssh(DO_NEXT, "tcp 20-30", "203.0.113.0/24"),
        id="do-range-including-ssh",
    ),
    _p(
        do_rule(inbound_do("tcp", "1-65535", ["0.0.0.0/0"])),
        anywhere(DO_NEXT, "tcp all ports", "0.0.0.0/0"),
        id="do-all-ports-ipv4",
    ),
    _p(
        do_rule(inbound_do("tcp", "all", ["::/0"])),
        anywhere(DO_NEXT, "tcp all ports", "::/0"),
        id="do-all-word-ipv6",
    ),
    _p(
        do_rule(inbound_do("udp", None, ANYWHERE)),
        anywhere(DO_NEXT, "udp all ports", "0.0.0.0/0, ::/0"),
        id="do-udp-without-port-range",
    ),
    _p(
        do_rule(inbound_do("icmp", None, ANYWHERE)),
        anywhere(DO_NEXT, "icmp", "0.0.0.0/0, ::/0"),
        id="do-icmp-from-anywhere",
    ),
    _p(
        do_rule(inbound_do("tcp", "80-443", ANYWHERE)),
        anywhere(DO_NEXT, "tcp 80-443", "0.0.0.0/0, ::/0"),
        id="do-range-spanning-public-ports",
    ),
    _p(
        do_rule(inbound_do("tcp", "5432", ["0.0.0.0/1", "128.0.0.0/1"])),
        anywhere(DO_NEXT, "tcp 5432", "0.0.0.0/1, 128.0.0.0/1"),
        id="do-anywhere-split-in-halves",
    ),
    _p(
        do_rule(inbound_do("TCP", "8080", ["0.0.0.0/0"], action="allow")),
        anywhere(DO_NEXT, "tcp 8080", "0.0.0.0/0"),
        id="do-explicit-allow-upper-case-protocol",
    ),
    _p(
        hcloud_rule(rule_hcloud("tcp", "any", ["::/0"])),
        anywhere(HCLOUD_NEXT, "tcp all ports", "::/0"),
        id="hcloud-any-port",
    ),
    _p(
        hcloud_rule(rule_hcloud("tcp", "22", ANYWHERE)),
        anywhere(HCLOUD_NEXT, "tcp 22", "0.0.0.0/0, ::/0"),
        id="hcloud-ssh-from-anywhere",
    ),
    _p(
        hcloud_rule(rule_hcloud("tcp", "22", ["198.51.100.7/32"])),
        ssh(HCLOUD_NEXT, "tcp 22", "198.51.100.7/32"),
        id="hcloud-ssh-from-an-address",
    ),
    _p(
        hcloud_rule(rule_hcloud("gre", None, ["0.0.0.0/0"])),
        anywhere(HCLOUD_NEXT, "gre", "0.0.0.0/0"),
        id="hcloud-gre-from-anywhere",
    ),
    _p(
        hcloud_rule(rule_hcloud("udp", "53", ["0.0.0.0/0"])),
        anywhere(HCLOUD_NEXT, "udp 53", "0.0.0.0/0"),
        id="hcloud-udp-port",
    ),
]
FIXTURES = [
    do_firewall("pass_public_unknown_sources", inbound_do("tcp", "443", UNKNOWN)),
    do_firewall("pass_media_unknown_source", inbound_do("udp", "50000-60000", [UNKNOWN])),
    do_firewall("pass_media_sub_range", inbound_do("udp", "50000-50100", ANYWHERE)),
    do_firewall("pass_deny_anywhere", inbound_do("tcp", "22", ANYWHERE, action="deny")),
    do_firewall("pass_private_sources", inbound_do("tcp", "5432", ["10.0.0.0/8", "fd00::/8"])),
    do_firewall(
        "pass_ssh_from_tag_only", {"protocol": "tcp", "portRange": "22", "sourceTags": ["b"]}
    ),
    do_firewall("pass_no_rules"),
    hcloud_firewall("pass_out_rule", rule_hcloud("tcp", "any", ANYWHERE, direction="out")),
    hcloud_firewall("pass_out_unknown", rule_hcloud("tcp", "any", UNKNOWN, direction="out")),
    hcloud_firewall("pass_icmp_private", rule_hcloud("icmp", None, ["10.0.0.0/16"])),
    hcloud_firewall("pass_web", rule_hcloud("tcp", "443", ANYWHERE)),
    do_firewall("fail_ssh_anywhere", inbound_do("tcp", "22", ANYWHERE)),
    do_firewall("fail_ssh_address", inbound_do("tcp", "22", ["198.51.100.7"])),
    do_firewall("fail_all_ports", inbound_do("tcp", "1-65535", ANYWHERE)),
    do_firewall("fail_database", inbound_do("tcp", "5432", ["0.0.0.0/0"])),
    do_firewall(
        "fail_second_rule",
        inbound_do("tcp", "443", ANYWHERE),
        inbound_do("udp", "1-65535", ["::/0"]),
    ),
    hcloud_firewall("fail_hcloud_any", rule_hcloud("udp", "any", ANYWHERE)),
    hcloud_firewall("fail_hcloud_icmp", rule_hcloud("icmp", None, ANYWHERE)),
    hcloud_firewall("fail_hcloud_ssh_address", rule_hcloud("tcp", "22", ["203.0.113.5/32"])),
    do_firewall("unknown_port", inbound_do("tcp", UNKNOWN, ANYWHERE)),
    do_firewall("unknown_protocol", inbound_do(UNKNOWN, "443", ANYWHERE)),
    do_firewall("unknown_action", inbound_do("tcp", "22", ANYWHERE, action=UNKNOWN)),
    do_firewall("unknown_ssh_sources", inbound_do("tcp", "22", UNKNOWN)),
    do_firewall("unknown_database_source", inbound_do("tcp", "5432", [UNKNOWN])),
    resource(DO_FIREWALL, "unknown_rules", {"name": "x", "inboundRules": UNKNOWN}),
    hcloud_firewall("unknown_direction", rule_hcloud("tcp", "22", ANYWHERE, direction=UNKNOWN)),
    hcloud_firewall("unknown_hcloud_sources", rule_hcloud("tcp", "any", [UNKNOWN])),
]

DEFAULTS = RuleCases(
    config=SHIPPED,
    cases=[
        passes(named(APP_FIREWALL, "pass_baseline_do")),
        passes(named(EDGE, "pass_baseline_hcloud")),
        *(fails(named(r, "fail_" + i.replace("-", "_")), m) for i, r, m in FAILING),
        *(passes(r) for r in FIXTURES if r.name.startswith("pass_")),
        fails(
            do_firewall(
                "fail_second_rule",
                inbound_do("tcp", "443", ANYWHERE),
                inbound_do("udp", "1-65535", ["::/0"]),
            ),
            anywhere("inboundRules[1]", "udp all ports", "::/0"),
        ),
        fails(
            hcloud_firewall("fail_hcloud_icmp", rule_hcloud("icmp", None, ANYWHERE)),
            anywhere("rules[0]", "icmp", "0.0.0.0/0, ::/0"),
        ),
        fails(
            do_firewall("fail_ssh_address", inbound_do("tcp", "22", ["198.51.100.7"])),
            ssh("inboundRules[0]", "tcp 22", "198.51.100.7"),
        ),
        fails(
            do_firewall("fail_database", inbound_do("tcp", "5432", ["0.0.0.0/0"])),
            anywhere("inboundRules[0]", "tcp 5432", "0.0.0.0/0"),
        ),
        *(
            unknown(r, path)
            for r, path in zip(
                [r for r in FIXTURES if r.name.startswith("unknown_")],
                [
                    ".inboundRules.0.portRange",
                    ".inboundRules.0.protocol",
                    ".inboundRules.0.action",
                    ".inboundRules.0.sourceAddresses",
                    ".inboundRules.0.sourceAddresses.0",
                    ".inboundRules",
                    ".rules.0.direction",
                    ".rules.0.sourceIps.0",
                ],
                strict=True,
            )
        ),
        unknown(
            named(do_rule(inbound_do("tcp", "22", [UNKNOWN])), "unknown_ssh_source_entry"),
            f".inboundRules.{len(DO_PUBLIC_RULES)}.sourceAddresses.0",
        ),
    ],
)

# With a stack's own config: SSH networks, public ports (including ICMP) and no media ports, as
# a stack's `policyConfig` output would set them.
CONFIGURED_ALLOWED = "tcp 80, tcp 443, tcp 22, icmp"
CONFIGURED_TRUSTED = "198.51.100.0/24, 2001:db8::/32"

STACK_CONFIGURED = RuleCases(
    variant="stack-config",
    config={
        "sshCidrs": ["198.51.100.0/24", "2001:db8::/32"],
        "publicPorts": [
            {"protocol": "tcp", "ports": "80"},
            {"protocol": "tcp", "ports": "443"},
            {"protocol": "tcp", "ports": "22"},
            {"protocol": "icmp"},
        ],
        "mediaPorts": [],
    },
    cases=[
        passes(
            resource(
                DO_FIREWALL,
                "pass_ssh_from_trusted",
                {"inboundRules": [inbound_do("tcp", "22", ["198.51.100.7/32", "2001:db8:1::/48"])]},
            )
        ),
        passes(
            resource(
                HCLOUD_FIREWALL,
                "pass_icmp_public",
                {"rules": [rule_hcloud("icmp", None, ANYWHERE)]},
            )
        ),
        fails(
            resource(
                DO_FIREWALL,
                "fail_ssh_one_outside",
                {"inboundRules": [inbound_do("tcp", "22", ["198.51.100.7/32", "203.0.113.9"])]},
            ),
            "inboundRules[0] allows SSH (tcp 22) from 203.0.113.9, outside sshCidrs "
            f"({CONFIGURED_TRUSTED}).",
        ),
        # A public SSH port is still SSH: only the configured networks may reach it.
        fails(
            resource(
                HCLOUD_FIREWALL, "fail_ssh_public", {"rules": [rule_hcloud("tcp", "22", ANYWHERE)]}
            ),
            "rules[0] allows SSH (tcp 22) from 0.0.0.0/0, ::/0, outside sshCidrs "
            f"({CONFIGURED_TRUSTED}).",
        ),
        fails(
            resource(
                DO_FIREWALL,
                "fail_media_not_configured",
                {"inboundRules": [inbound_do("udp", "50000-60000", ANYWHERE)]},
            ),
            "inboundRules[0] allows udp 50000-60000 from 0.0.0.0/0, ::/0; from anywhere only "
            f"{CONFIGURED_ALLOWED} may be open.",
        ),
    ],
)

CASES = (DEFAULTS, STACK_CONFIGURED)
