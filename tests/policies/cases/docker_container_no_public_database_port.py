"""docker-container-no-public-database-port: by protocol, on every public binding."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container
from ..harness import RuleCases, fails, passes, policy_of, unknown

POLICY = policy_of(__name__)

CASES = RuleCases(
    cases=[
        passes(container("pass_loopback")),
        passes(container("pass_private", ports=[{"internal": 6379, "ip": "10.0.0.5"}])),
        passes(container("pass_web", ports=[{"internal": 80, "external": 80}])),
        # Protocol-aware: UDP 5432 is not PostgreSQL, and a UDP range is not a database.
        passes(container("pass_udp_same_number", ports=[{"internal": 5432, "protocol": "udp"}])),
        passes(container("pass_unknown_ip_web", ports=[{"internal": 80, "ip": UNKNOWN}])),
        fails(
            container("fail_ip_missing", ports=[{"internal": 5432, "external": 5432}]),
            "Port 5432/tcp (PostgreSQL) is published as 5432 on 0.0.0.0.",
        ),
        fails(
            container("fail_v6_any", ports=[{"internal": 3306, "external": 3306, "ip": "::"}]),
            "Port 3306/tcp (MySQL/MariaDB) is published as 3306 on ::.",
        ),
        fails(
            container("fail_public_v4", ports=[{"internal": 6379, "ip": "95.216.10.20"}]),
            "Port 6379/tcp (Redis) is published as a random host port on 95.216.10.20.",
        ),
        fails(
            container("fail_not_an_address", ports=[{"internal": 27017, "ip": "eth0"}]),
            "Port 27017/tcp (MongoDB) is published as a random host port on eth0.",
        ),
        fails(
            container("fail_host_port", ports=[{"internal": 8080, "external": 5432}]),
            "Host port 5432/tcp (PostgreSQL) is published on 0.0.0.0 for container port 8080.",
        ),
        fails(
            container("fail_memcached_udp", ports=[{"internal": 11211, "protocol": "udp"}]),
            "Port 11211/udp (Memcached (UDP)) is published as a random host port on 0.0.0.0.",
        ),
        fails(
            container(
                "fail_in_order",
                ports=[
                    {"internal": 5432, "external": 5432},
                    {"internal": 80, "external": 80},
                    {"internal": 6379, "external": 6379, "ip": "::"},
                ],
            ),
            "Port 5432/tcp (PostgreSQL) is published as 5432 on 0.0.0.0.",
            "Port 6379/tcp (Redis) is published as 6379 on ::.",
        ),
        unknown(container("unknown_ip", ports=[{"internal": 5432, "ip": UNKNOWN}]), ".ports.0.ip"),
        unknown(container("unknown_ports", ports=UNKNOWN), ".ports"),
    ],
)
