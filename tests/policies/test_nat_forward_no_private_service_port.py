"""nat-forward-no-private-service-port, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess
from components.plan.recording import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN

from .conftest import (
    container,
    diagnostics,
    is_not_run,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "nat-forward-no-private-service-port"
DESCRIPTION = (
    "Port forwards (DNAT rules) never send a database or admin port from the public "
    "address to a guest."
)
REMOTE = "command:remote:Command"
LOCAL = "command:local:Command"
APPLY = (
    "set -eu\nruleset=$(cat)\n"
    "printf '%s' \"$ruleset\" | nft -c -f -\n"
    "printf '%s' \"$ruleset\" | nft -f -\n"
)


def ruleset(*dnat: str) -> str:
    """A ruleset shaped like the one components/render/nftables.py writes (prod stack)."""
    rules = [f"        ip daddr 203.0.113.10 {rule}" for rule in dnat]
    return "\n".join(
        [
            "#!/usr/sbin/nft -f",
            "table ip platform_nat",
            "delete table ip platform_nat",
            "",
            "table ip platform_nat {",
            "    chain prerouting {",
            "        type nat hook prerouting priority dstnat; policy accept;",
            *rules,
            "    }",
            "",
            "    chain output {",
            "        type nat hook output priority -100; policy accept;",
            *rules,
            "    }",
            "",
            "    chain postrouting {",
            "        type nat hook postrouting priority srcnat; policy accept;",
            '        ip saddr 10.0.0.0/24 oifname "vmbr0" masquerade',
            '        ip saddr 10.0.0.0/24 oifname "vmbr1" ct status dnat masquerade',
            "    }",
            "",
            "    chain forward {",
            "        type filter hook forward priority filter; policy accept;",
            '        iifname "vmbr0" oifname "vmbr1" ct state established,related accept',
            '        iifname "vmbr0" oifname "vmbr1" ct status dnat accept',
            '        iifname "vmbr0" oifname "vmbr1" counter drop',
            "    }",
            "}",
            "",
        ]
    )


PROD_FORWARDS = (
    'tcp dport { 80, 443 } dnat to 10.0.0.2 comment "proxy"',
    'tcp dport 7881 dnat to 10.0.0.10 comment "livekit"',
    'udp dport 50000-60000 dnat to 10.0.0.10 comment "livekit"',
)
PROD_RULESET = ruleset(*PROD_FORWARDS)


def command(name: str, type_: str = REMOTE, **props: Any) -> Any:
    return resource(
        type_,
        name,
        {
            "connection": {"host": "203.0.113.10", "user": "root"},
            "delete": "nft delete table ip platform_nat || true",
            **props,
        },
    )


def nat_command(name: str, stdin: Any, **props: Any) -> Any:
    return command(name, create=APPLY, update=APPLY, stdin=stdin, **props)


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def test_prod_ruleset_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check([nat_command("nat-ruleset", PROD_RULESET)]) == []


@pytest.mark.parametrize(
    ("props", "messages"),
    [
        pytest.param(
            {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 5432 dnat to 10.0.0.5")},
            ["`stdin` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."],
            id="nft-single-port",
        ),
        pytest.param(
            {"stdin": ruleset("tcp dport { 80, 5432 } dnat to 10.0.0.5", *PROD_FORWARDS)},
            ["`stdin` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."],
            id="nft-set",
        ),
        pytest.param(
            {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 3200-3400 dnat to 10.0.0.6")},
            ["`stdin` forwards tcp 3200-3400 -> 10.0.0.6 which includes tcp 3306 (MySQL/MariaDB)."],
            id="nft-range",
        ),
        pytest.param(
            {"stdin": ruleset("tcp dport 6000-6500 dnat to 10.0.0.6")},
            [
                "`stdin` forwards tcp 6000-6500 -> 10.0.0.6 which includes tcp 6379 (Redis).",
                "`stdin` forwards tcp 6000-6500 -> 10.0.0.6 which includes tcp 6432 (pgBouncer).",
            ],
            id="nft-range-two-databases",
        ),
        pytest.param(
            {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 15432 dnat to 10.0.0.5:5432")},
            ["`stdin` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."],
            id="nft-port-rewrite",
        ),
        pytest.param(
            {"stdin": ruleset("tcp dport 5432 dnat ip to 10.0.0.5")},
            ["`stdin` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."],
            id="nft-dnat-ip-to",
        ),
        pytest.param(
            {"stdin": ruleset("udp dport 11211 dnat to 10.0.0.9")},
            ["`stdin` forwards udp 11211 -> 10.0.0.9 which includes udp 11211 (Memcached (UDP))."],
            id="nft-udp",
        ),
        pytest.param(
            {
                "stdin": PROD_RULESET,
                "create": "iptables -t nat -A PREROUTING -i vmbr0 -p tcp --dport 6379 "
                "-j DNAT --to-destination 10.0.0.7",
            },
            ["`create` forwards tcp 6379 -> 10.0.0.7 which includes tcp 6379 (Redis)."],
            id="iptables-create",
        ),
        pytest.param(
            {
                "stdin": PROD_RULESET,
                "update": "iptables -t nat -A PREROUTING -p tcp -m multiport "
                "--dports 80,443,27017 -j DNAT --to-destination 10.0.0.8",
            },
            ["`update` forwards tcp 27017 -> 10.0.0.8 which includes tcp 27017 (MongoDB)."],
            id="iptables-multiport-update",
        ),
        pytest.param(
            {
                "stdin": "iptables -t nat -A PREROUTING -p tcp --dport 9001:9092 -j DNAT "
                "--to-destination 10.0.0.9\n"
            },
            [
                "`stdin` forwards tcp 9001-9092 -> 10.0.0.9 which includes tcp 9042 (Cassandra).",
                "`stdin` forwards tcp 9001-9092 -> 10.0.0.9 which includes tcp 9090 (Prometheus).",
                "`stdin` forwards tcp 9001-9092 -> 10.0.0.9 which includes tcp 9092 (Kafka).",
            ],
            id="iptables-range",
        ),
        pytest.param(
            {
                "stdin": "iptables -t nat -A PREROUTING -p tcp --dport 13306 -j DNAT "
                "--to-destination 10.0.0.9:3306"
            },
            ["`stdin` forwards tcp 3306 -> 10.0.0.9 which includes tcp 3306 (MySQL/MariaDB)."],
            id="iptables-port-rewrite",
        ),
        pytest.param(
            {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 8006 dnat to 10.0.0.1")},
            [
                "`stdin` forwards tcp 8006 -> 10.0.0.1 which includes tcp 8006 "
                "(Proxmox VE web UI and API)."
            ],
            id="admin-nft-single-port",
        ),
        pytest.param(
            {"stdin": ruleset("tcp dport { 443, 9443 } dnat to 10.0.0.3", *PROD_FORWARDS)},
            ["`stdin` forwards tcp 9443 -> 10.0.0.3 which includes tcp 9443 (Portainer (HTTPS))."],
            id="admin-nft-set",
        ),
        pytest.param(
            {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 12375 dnat to 10.0.0.4:2375")},
            [
                "`stdin` forwards tcp 2375 -> 10.0.0.4 which includes tcp 2375 "
                "(Docker API without TLS)."
            ],
            id="admin-nft-port-rewrite",
        ),
        pytest.param(
            {
                "stdin": PROD_RULESET,
                "create": "iptables -t nat -A PREROUTING -p tcp --dport 15672 -j DNAT "
                "--to-destination 10.0.0.8",
            },
            [
                "`create` forwards tcp 15672 -> 10.0.0.8 which includes tcp 15672 "
                "(RabbitMQ management UI)."
            ],
            id="admin-iptables",
        ),
        pytest.param(
            {"stdin": ruleset("tcp dport 3000-3400 dnat to 10.0.0.6")},
            [
                "`stdin` forwards tcp 3000-3400 -> 10.0.0.6 which includes tcp 3000 "
                "(Grafana / DbGate).",
                "`stdin` forwards tcp 3000-3400 -> 10.0.0.6 which includes tcp 3100 (Loki).",
                "`stdin` forwards tcp 3000-3400 -> 10.0.0.6 which includes tcp 3306 "
                "(MySQL/MariaDB).",
            ],
            id="range-with-admin-and-database-ports-in-port-order",
        ),
    ],
)
def test_each_private_service_forward_is_a_violation(
    pack: PolicyPackProcess, props: dict[str, Any], messages: list[str]
) -> None:
    baseline = {"create": APPLY, "update": APPLY, "stdin": PROD_RULESET}
    mutated = command("nat-ruleset", **{**baseline, **props})
    assert diagnostics(pack.check([mutated])) == [violation(m) for m in messages]


def test_each_scanned_property_is_reported(pack: PolicyPackProcess) -> None:
    rule = "nft add rule ip nat prerouting tcp dport 5432 dnat to 10.0.0.5"
    mutated = command("nat", create=rule, update=rule, stdin=rule)
    assert diagnostics(pack.check([mutated])) == [
        violation(f"`{prop}` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL).")
        for prop in ("create", "update", "stdin")
    ]


def test_local_command_is_checked(pack: PolicyPackProcess) -> None:
    mutated = command(
        "nat", LOCAL, create="nft add rule ip nat prerouting tcp dport 8086 dnat to 10.0.0.4"
    )
    assert diagnostics(pack.check([mutated])) == [
        violation("`create` forwards tcp 8086 -> 10.0.0.4 which includes tcp 8086 (InfluxDB).")
    ]


def test_secret_stdin_is_read(pack: PolicyPackProcess) -> None:
    secret = {SECRET_SIG_KEY: SECRET_SIG, "value": ruleset("tcp dport 5984 dnat to 10.0.0.3")}
    assert diagnostics(pack.check([nat_command("nat", secret)])) == [
        violation("`stdin` forwards tcp 5984 -> 10.0.0.3 which includes tcp 5984 (CouchDB).")
    ]


def test_unknown_text_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    assert diagnostics(pack.check([nat_command("nat", UNKNOWN)])) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .stdin can't be known during preview",
        )
    ]


DATABASE_FORWARD = "tcp dport 5432 dnat to 10.0.0.5"
FIXTURES = [
    nat_command("pass_prod", PROD_RULESET),
    nat_command("pass_no_forwards", ruleset()),
    nat_command(
        "pass_filter_rule_only", "tcp dport 5432 accept\niifname vmbr1 tcp dport 3306 accept"
    ),
    nat_command("pass_rewrite_to_web", ruleset("tcp dport 8443 dnat to 10.0.0.2:443")),
    nat_command(
        "pass_ranges_around",
        ruleset("tcp dport { 3307-5049, 5051-5431, 5433-5671, 8007-8079 } dnat to 10.0.0.2"),
    ),
    nat_command(
        "pass_iptables_web",
        "iptables -t nat -A PREROUTING -p tcp --dport 443 -j DNAT --to-destination 10.0.0.2",
    ),
    command("pass_delete_only_mentions_db", delete="nft ... tcp dport 5432 dnat to 10.0.0.5"),
    command("pass_no_text"),
    container(
        "pass_not_a_command",
        image="nginx:1.27.2",
        volumes=None,
        command=["sh", "-c", f"nft add rule {DATABASE_FORWARD}"],
    ),
    resource(
        "proxmoxve:index/containerLegacy:ContainerLegacy",
        "pass_guest_description",
        {
            "description": DATABASE_FORWARD,
            "unprivileged": True,
            "networkInterfaces": [{"bridge": "vmbr1", "name": "eth0"}],
        },
    ),
    nat_command("fail_single", ruleset(*PROD_FORWARDS, DATABASE_FORWARD)),
    nat_command("fail_set", ruleset("tcp dport { 80, 5432 } dnat to 10.0.0.5")),
    nat_command("fail_range", ruleset("tcp dport 3000-3400 dnat to 10.0.0.6")),
    nat_command("fail_rewrite", ruleset("tcp dport 15432 dnat to 10.0.0.5:5432")),
    command(
        "fail_iptables",
        create="iptables -t nat -A PREROUTING -p tcp --dport 6379 -j DNAT "
        "--to-destination 10.0.0.7",
    ),
    command("fail_local", LOCAL, update=f"nft add rule ip nat prerouting {DATABASE_FORWARD}"),
    nat_command("fail_proxmox_ui", ruleset("tcp dport 8006 dnat to 10.0.0.1")),
    nat_command("fail_admin_range", ruleset("tcp dport 2000-2400 dnat to 10.0.0.4")),
    command(
        "fail_iptables_admin",
        create="iptables -t nat -A PREROUTING -p tcp --dport 19000 -j DNAT "
        "--to-destination 10.0.0.7:9000",
    ),
    nat_command("unknown_stdin", UNKNOWN),
    command("unknown_create", create=UNKNOWN, stdin=PROD_RULESET),
    command("unknown_update", LOCAL, update=UNKNOWN),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = pack.check(FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # command-no-plaintext-secret also reads create/update (not stdin) and defers on them.
    others = [v for v in violations if v.policy != POLICY]
    assert all(is_not_run(v) for v in others)
    assert not_run_names(others, "command-no-plaintext-secret") == {
        "unknown_create",
        "unknown_update",
    }
