"""docker-container-port-explicit-address: as the engine sends ports, after Check filled
`ip` with 0.0.0.0 and `protocol` with tcp."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container
from ..harness import (
    RuleCases,
    except_label,
    excepted,
    fails,
    label_source,
    passes,
    policy_of,
    unknown,
)

POLICY = policy_of(__name__)

CASES = RuleCases(
    cases=[
        passes(container("pass_loopback")),
        passes(container("pass_private", ports=[{"internal": 80, "ip": "10.0.0.5"}])),
        passes(container("pass_public_address", ports=[{"internal": 443, "ip": "95.216.10.20"}])),
        passes(container("pass_no_ports", ports=[])),
        passes(container("pass_publish_all_false", publishAllPorts=False)),
        passes(
            container(
                "pass_unknown_port_on_loopback", ports=[{"internal": UNKNOWN, "ip": "127.0.0.1"}]
            )
        ),
        # What the program wrote without `ip` reaches the pack as 0.0.0.0 (the provider's Check).
        fails(
            container("fail_ip_missing", ports=[{"internal": 80, "external": 80}]),
            "Container port 80/tcp is published as host port 80 on every address (0.0.0.0).",
        ),
        fails(
            container("fail_any_v4", ports=[{"internal": 80, "external": 8080, "ip": "0.0.0.0"}]),
            "Container port 80/tcp is published as host port 8080 on every address (0.0.0.0).",
        ),
        fails(
            container("fail_any_v6", ports=[{"internal": 443, "ip": "::", "protocol": "tcp"}]),
            "Container port 443/tcp is published on a random host port on every address (::).",
        ),
        fails(
            container("fail_udp", ports=[{"internal": 3478, "external": 3478, "protocol": "udp"}]),
            "Container port 3478/udp is published as host port 3478 on every address (0.0.0.0).",
        ),
        fails(container("fail_publish_all", publishAllPorts=True), "`publishAllPorts` is true."),
        excepted(
            container(
                "except_media",
                ports=[{"internal": 7881, "external": 7881}],
                labels=[except_label(POLICY, "ICE/TCP on every public address")],
            ),
            "ICE/TCP on every public address",
            label_source(POLICY),
            "Container port 7881/tcp is published as host port 7881 on every address (0.0.0.0).",
        ),
        unknown(container("unknown_ip", ports=[{"internal": 80, "ip": UNKNOWN}]), ".ports.0.ip"),
        unknown(container("unknown_ports", ports=UNKNOWN), ".ports"),
        unknown(
            container("unknown_publish_all", ports=[{"internal": 80}], publishAllPorts=UNKNOWN),
            ".publishAllPorts",
            "Container port 80/tcp is published on a random host port on every address (0.0.0.0).",
        ),
    ],
)
