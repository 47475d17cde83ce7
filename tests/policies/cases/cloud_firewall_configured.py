"""cloud-firewall-restricted-inbound with a stack's own config: SSH networks, public ports
(including ICMP) and no media ports, as a stack's `policyConfig` output would set them."""

from __future__ import annotations

from ..conftest import resource
from ..fixtures_cloud import ANYWHERE, DO_FIREWALL, HCLOUD_FIREWALL, inbound_do, rule_hcloud
from ..harness import RuleCases, fails, passes

ALLOWED = "tcp 80, tcp 443, tcp 22, icmp"
TRUSTED = "198.51.100.0/24, 2001:db8::/32"

CASES = RuleCases(
    policy="cloud-firewall-restricted-inbound",
    level="mandatory",
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
            f"inboundRules[0] allows SSH (tcp 22) from 203.0.113.9, outside sshCidrs ({TRUSTED}).",
        ),
        # A public SSH port is still SSH: only the configured networks may reach it.
        fails(
            resource(
                HCLOUD_FIREWALL, "fail_ssh_public", {"rules": [rule_hcloud("tcp", "22", ANYWHERE)]}
            ),
            f"rules[0] allows SSH (tcp 22) from 0.0.0.0/0, ::/0, outside sshCidrs ({TRUSTED}).",
        ),
        fails(
            resource(
                DO_FIREWALL,
                "fail_media_not_configured",
                {"inboundRules": [inbound_do("udp", "50000-60000", ANYWHERE)]},
            ),
            "inboundRules[0] allows udp 50000-60000 from 0.0.0.0/0, ::/0; from anywhere only "
            f"{ALLOWED} may be open.",
        ),
    ],
)
