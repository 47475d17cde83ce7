"""cloud-firewall-restricted-inbound, through the pack process and the analyzer protocol."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess, load_policy_config, struct_from
from components.plan.recording import RecordedResource

from .conftest import (
    PACK_DIR,
    UNKNOWN,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)
from .fixtures_cloud import (
    ANYWHERE,
    APP_FIREWALL,
    BASELINE,
    DO_FIREWALL,
    DO_PUBLIC_RULES,
    EDGE,
    HCLOUD_FIREWALL,
    HCLOUD_PUBLIC_RULES,
    inbound_do,
    rule_hcloud,
    swap,
)

POLICY = "cloud-firewall-restricted-inbound"
DESCRIPTION = (
    "Cloud firewalls (DigitalOcean, Hetzner Cloud) open only the public service ports to "
    "anywhere, and SSH only to the configured networks."
)
DEFAULT_ALLOWED = "tcp 80, tcp 443, udp 50000-60000, tcp 7881"
DO_NEXT = f"inboundRules[{len(DO_PUBLIC_RULES)}]"
HCLOUD_NEXT = f"rules[{len(HCLOUD_PUBLIC_RULES)}]"


def anywhere(
    path: str, ports: str, sources: str, allowed: str = DEFAULT_ALLOWED
) -> tuple[str, str, str]:
    return (
        POLICY,
        "mandatory",
        f"{DESCRIPTION}\n{path} allows {ports} from {sources}; from anywhere only {allowed} "
        "may be open.",
    )


def ssh(
    path: str, ports: str, outside: str, trusted: str = "none configured"
) -> tuple[str, str, str]:
    return (
        POLICY,
        "mandatory",
        f"{DESCRIPTION}\n{path} allows SSH ({ports}) from {outside}, outside sshCidrs ({trusted}).",
    )


def with_properties(item: RecordedResource, **changes: Any) -> RecordedResource:
    """``item`` (keeping its options and dependencies) with changed top-level properties."""
    return replace(item, properties=struct_from({**item.inputs, **changes}))


def do_rule(rule: dict[str, Any]) -> RecordedResource:
    return with_properties(APP_FIREWALL, inboundRules=[*DO_PUBLIC_RULES, rule])


def hcloud_rule(rule: dict[str, Any]) -> RecordedResource:
    return with_properties(EDGE, rules=[*HCLOUD_PUBLIC_RULES, rule])


def test_baseline_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check(BASELINE) == []


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        pytest.param(
            do_rule(inbound_do("tcp", "22", ANYWHERE)),
            anywhere(DO_NEXT, "tcp 22", "0.0.0.0/0, ::/0"),
            id="do-ssh-from-anywhere",
        ),
        pytest.param(
            do_rule(inbound_do("tcp", "22", ["198.51.100.7/32"])),
            ssh(DO_NEXT, "tcp 22", "198.51.100.7/32"),
            id="do-ssh-from-an-address-not-configured",
        ),
        pytest.param(
            do_rule(inbound_do("tcp", "22", ["10.0.0.0/8", "198.51.100.7"])),
            ssh(DO_NEXT, "tcp 22", "10.0.0.0/8, 198.51.100.7"),
            id="do-ssh-from-private-and-single-address",
        ),
        pytest.param(
            do_rule(inbound_do("tcp", "20-30", ["203.0.113.0/24"])),
            ssh(DO_NEXT, "tcp 20-30", "203.0.113.0/24"),
            id="do-range-including-ssh",
        ),
        pytest.param(
            do_rule(inbound_do("tcp", "1-65535", ["0.0.0.0/0"])),
            anywhere(DO_NEXT, "tcp all ports", "0.0.0.0/0"),
            id="do-all-ports-ipv4",
        ),
        pytest.param(
            do_rule(inbound_do("tcp", "all", ["::/0"])),
            anywhere(DO_NEXT, "tcp all ports", "::/0"),
            id="do-all-word-ipv6",
        ),
        pytest.param(
            do_rule(inbound_do("udp", None, ANYWHERE)),
            anywhere(DO_NEXT, "udp all ports", "0.0.0.0/0, ::/0"),
            id="do-udp-without-port-range",
        ),
        pytest.param(
            do_rule(inbound_do("icmp", None, ANYWHERE)),
            anywhere(DO_NEXT, "icmp", "0.0.0.0/0, ::/0"),
            id="do-icmp-from-anywhere",
        ),
        pytest.param(
            do_rule(inbound_do("tcp", "80-443", ANYWHERE)),
            anywhere(DO_NEXT, "tcp 80-443", "0.0.0.0/0, ::/0"),
            id="do-range-spanning-public-ports",
        ),
        pytest.param(
            do_rule(inbound_do("tcp", "5432", ["0.0.0.0/1", "128.0.0.0/1"])),
            anywhere(DO_NEXT, "tcp 5432", "0.0.0.0/1, 128.0.0.0/1"),
            id="do-anywhere-split-in-halves",
        ),
        pytest.param(
            do_rule(inbound_do("TCP", "8080", ["0.0.0.0/0"], action="allow")),
            anywhere(DO_NEXT, "tcp 8080", "0.0.0.0/0"),
            id="do-explicit-allow-upper-case-protocol",
        ),
        pytest.param(
            hcloud_rule(rule_hcloud("tcp", "any", ["::/0"])),
            anywhere(HCLOUD_NEXT, "tcp all ports", "::/0"),
            id="hcloud-any-port",
        ),
        pytest.param(
            hcloud_rule(rule_hcloud("tcp", "22", ANYWHERE)),
            anywhere(HCLOUD_NEXT, "tcp 22", "0.0.0.0/0, ::/0"),
            id="hcloud-ssh-from-anywhere",
        ),
        pytest.param(
            hcloud_rule(rule_hcloud("tcp", "22", ["198.51.100.7/32"])),
            ssh(HCLOUD_NEXT, "tcp 22", "198.51.100.7/32"),
            id="hcloud-ssh-from-an-address",
        ),
        pytest.param(
            hcloud_rule(rule_hcloud("gre", None, ["0.0.0.0/0"])),
            anywhere(HCLOUD_NEXT, "gre", "0.0.0.0/0"),
            id="hcloud-gre-from-anywhere",
        ),
        pytest.param(
            hcloud_rule(rule_hcloud("udp", "53", ["0.0.0.0/0"])),
            anywhere(HCLOUD_NEXT, "udp 53", "0.0.0.0/0"),
            id="hcloud-udp-port",
        ),
    ],
)
def test_each_violation_kind(
    pack: PolicyPackProcess, changed: RecordedResource, expected: tuple[str, str, str]
) -> None:
    found = pack.check(swap(BASELINE, changed))
    assert diagnostics(found) == [expected]
    assert [v.urn for v in found] == [changed.urn]


def test_unknown_ssh_sources_are_not_run(pack: PolicyPackProcess) -> None:
    changed = do_rule(inbound_do("tcp", "22", [UNKNOWN]))
    assert diagnostics(pack.check(swap(BASELINE, changed))) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY)
            + f"string value at .inboundRules.{len(DO_PUBLIC_RULES)}.sourceAddresses.0 "
            "can't be known during preview",
        )
    ]


def configure(pack: PolicyPackProcess, **config: Any) -> None:
    pack.configure({POLICY: {"enforcementLevel": "mandatory", **config}})


def test_ssh_from_configured_cidrs_passes(unconfigured_pack: PolicyPackProcess) -> None:
    changed = do_rule(
        inbound_do("tcp", "22", ["198.51.100.7/32", "2001:db8:1::/48", "203.0.113.9"])
    )
    configure(unconfigured_pack, sshCidrs=["198.51.100.0/24", "2001:db8::/32"])
    assert diagnostics(unconfigured_pack.check(swap(BASELINE, changed))) == [
        ssh(DO_NEXT, "tcp 22", "203.0.113.9", "198.51.100.0/24, 2001:db8::/32")
    ]
    fixed = do_rule(inbound_do("tcp", "22", ["198.51.100.7/32", "2001:db8:1::/48"]))
    assert unconfigured_pack.check(swap(BASELINE, fixed)) == []


def test_configured_public_ports(unconfigured_pack: PolicyPackProcess) -> None:
    icmp = hcloud_rule(rule_hcloud("icmp", None, ANYWHERE))
    assert diagnostics(unconfigured_pack.check(swap(BASELINE, icmp))) == [
        anywhere(HCLOUD_NEXT, "icmp", "0.0.0.0/0, ::/0")
    ]
    public = [
        {"protocol": "tcp", "ports": "80"},
        {"protocol": "tcp", "ports": "443"},
        {"protocol": "tcp", "ports": "22"},
        {"protocol": "icmp"},
    ]
    configure(unconfigured_pack, publicPorts=public)
    assert unconfigured_pack.check(swap(BASELINE, icmp)) == []
    # A public SSH port is still SSH: only the configured networks may reach it.
    ssh_rule = hcloud_rule(rule_hcloud("tcp", "22", ANYWHERE))
    assert diagnostics(unconfigured_pack.check(swap(BASELINE, ssh_rule))) == [
        ssh(HCLOUD_NEXT, "tcp 22", "0.0.0.0/0, ::/0")
    ]


def test_configured_media_ports_replace_the_default(unconfigured_pack: PolicyPackProcess) -> None:
    configure(unconfigured_pack, mediaPorts=[])
    assert diagnostics(unconfigured_pack.check(BASELINE)) == [
        anywhere("inboundRules[2]", "udp 50000-60000", "0.0.0.0/0, ::/0", "tcp 80, tcp 443"),
        anywhere("inboundRules[3]", "tcp 7881", "0.0.0.0/0, ::/0", "tcp 80, tcp 443"),
        anywhere("rules[2]", "udp 50000-60000", "0.0.0.0/0, ::/0", "tcp 80, tcp 443"),
        anywhere("rules[3]", "tcp 7881", "0.0.0.0/0, ::/0", "tcp 80, tcp 443"),
    ]


def test_shipped_policy_config_is_the_default(unconfigured_pack: PolicyPackProcess) -> None:
    shipped = json.loads((PACK_DIR / "policy-config.json").read_text())[POLICY]
    changed = do_rule(inbound_do("tcp", "22", ANYWHERE))
    unconfigured_pack.configure(load_policy_config(PACK_DIR / "policy-config.json"))
    assert unconfigured_pack.check(BASELINE) == []
    assert diagnostics(unconfigured_pack.check(swap(BASELINE, changed))) == [
        anywhere(DO_NEXT, "tcp 22", "0.0.0.0/0, ::/0")
    ]
    assert shipped["sshCidrs"] == []


def do_firewall(name: str, *rules: dict[str, Any]) -> RecordedResource:
    return resource(DO_FIREWALL, name, {"name": name, "inboundRules": list(rules)})


def hcloud_firewall(name: str, *rules: dict[str, Any]) -> RecordedResource:
    return resource(HCLOUD_FIREWALL, name, {"name": name, "rules": list(rules)})


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


def test_fixture_resources_analyzed_together(pack: PolicyPackProcess) -> None:
    found = pack.check([*BASELINE, *FIXTURES])
    names = [item.name for item in FIXTURES]
    assert violating_names(found, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(found, POLICY) == {n for n in names if n.startswith("unknown_")}
