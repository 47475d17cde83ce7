"""nat-forward-no-private-service-port is protocol-aware: a UDP media range that includes 3000
is not Grafana (TCP), while a TCP forward of 3000 is."""

from __future__ import annotations

from ..conftest import resource
from ..harness import RuleCases, fails, passes

COMMAND = "command:remote:Command"


def forward(name: str, rule: str) -> object:
    ruleset = (
        "table ip platform_nat {\n  chain prerouting {\n"
        "    type nat hook prerouting priority dstnat; policy accept;\n"
        f"    ip daddr 203.0.113.10 {rule}\n  }}\n}}\n"
    )
    return resource(COMMAND, name, {"create": "nft -f -", "stdin": ruleset})


CASES = RuleCases(
    policy="nat-forward-no-private-service-port",
    level="mandatory",
    cases=[
        passes(forward("pass_udp_media_range", "udp dport 2000-10000 dnat to 10.0.0.10")),
        passes(forward("pass_udp_5432", "udp dport 5432 dnat to 10.0.0.13")),
        fails(
            forward("fail_tcp_grafana", "tcp dport 3000 dnat to 10.0.0.15"),
            "`stdin` forwards tcp 3000 -> 10.0.0.15 which includes tcp 3000 (Grafana / DbGate).",
        ),
        fails(
            forward("fail_udp_memcached", "udp dport 11000-11300 dnat to 10.0.0.9"),
            "`stdin` forwards udp 11000-11300 -> 10.0.0.9 which includes udp 11211 "
            "(Memcached (UDP)).",
        ),
    ],
)
