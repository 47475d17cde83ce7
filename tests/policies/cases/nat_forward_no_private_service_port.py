"""nat-forward-no-private-service-port: DNAT forwards in nft and iptables text."""

from __future__ import annotations

from typing import Any

from components.plan.recording import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN

from ..conftest import container, resource
from ..harness import RuleCases, fails, passes, unknown

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


def _p(*args: Any, id: str) -> tuple[Any, ...]:
    return (id, *args)


BASELINE = {"create": APPLY, "update": APPLY, "stdin": PROD_RULESET}
FAILING = [
    _p(
        {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 5432 dnat to 10.0.0.5")},
        ["`stdin` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."],
        id="nft-single-port",
    ),
    _p(
        {"stdin": ruleset("tcp dport { 80, 5432 } dnat to 10.0.0.5", *PROD_FORWARDS)},
        ["`stdin` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."],
        id="nft-set",
    ),
    _p(
        {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 3200-3400 dnat to 10.0.0.6")},
        ["`stdin` forwards tcp 3200-3400 -> 10.0.0.6 which includes tcp 3306 (MySQL/MariaDB)."],
        id="nft-range",
    ),
    _p(
        {"stdin": ruleset("tcp dport 6000-6500 dnat to 10.0.0.6")},
        [
            "`stdin` forwards tcp 6000-6500 -> 10.0.0.6 which includes tcp 6379 (Redis).",
            "`stdin` forwards tcp 6000-6500 -> 10.0.0.6 which includes tcp 6432 (pgBouncer).",
        ],
        id="nft-range-two-databases",
    ),
    _p(
        {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 15432 dnat to 10.0.0.5:5432")},
        ["`stdin` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."],
        id="nft-port-rewrite",
    ),
    _p(
        {"stdin": ruleset("tcp dport 5432 dnat ip to 10.0.0.5")},
        ["`stdin` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."],
        id="nft-dnat-ip-to",
    ),
    _p(
        {"stdin": ruleset("udp dport 11211 dnat to 10.0.0.9")},
        ["`stdin` forwards udp 11211 -> 10.0.0.9 which includes udp 11211 (Memcached (UDP))."],
        id="nft-udp",
    ),
    _p(
        {
            "stdin": PROD_RULESET,
            "create": "iptables -t nat -A PREROUTING -i vmbr0 -p tcp --dport 6379 "
            "-j DNAT --to-destination 10.0.0.7",
        },
        ["`create` forwards tcp 6379 -> 10.0.0.7 which includes tcp 6379 (Redis)."],
        id="iptables-create",
    ),
    _p(
        {
            "stdin": PROD_RULESET,
            "update": "iptables -t nat -A PREROUTING -p tcp -m multiport "
            "--dports 80,443,27017 -j DNAT --to-destination 10.0.0.8",
        },
        ["`update` forwards tcp 27017 -> 10.0.0.8 which includes tcp 27017 (MongoDB)."],
        id="iptables-multiport-update",
    ),
    _p(
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
    _p(
        {
            "stdin": "iptables -t nat -A PREROUTING -p tcp --dport 13306 -j DNAT "
            "--to-destination 10.0.0.9:3306"
        },
        ["`stdin` forwards tcp 3306 -> 10.0.0.9 which includes tcp 3306 (MySQL/MariaDB)."],
        id="iptables-port-rewrite",
    ),
    _p(
        {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 8006 dnat to 10.0.0.1")},
        [
            "`stdin` forwards tcp 8006 -> 10.0.0.1 which includes tcp 8006 "
            "(Proxmox VE web UI and API)."
        ],
        id="admin-nft-single-port",
    ),
    _p(
        {"stdin": ruleset("tcp dport { 443, 9443 } dnat to 10.0.0.3", *PROD_FORWARDS)},
        ["`stdin` forwards tcp 9443 -> 10.0.0.3 which includes tcp 9443 (Portainer (HTTPS))."],
        id="admin-nft-set",
    ),
    _p(
        {"stdin": ruleset(*PROD_FORWARDS, "tcp dport 12375 dnat to 10.0.0.4:2375")},
        ["`stdin` forwards tcp 2375 -> 10.0.0.4 which includes tcp 2375 (Docker API without TLS)."],
        id="admin-nft-port-rewrite",
    ),
    _p(
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
    _p(
        {"stdin": ruleset("tcp dport 3000-3400 dnat to 10.0.0.6")},
        [
            "`stdin` forwards tcp 3000-3400 -> 10.0.0.6 which includes tcp 3000 "
            "(Grafana / DbGate).",
            "`stdin` forwards tcp 3000-3400 -> 10.0.0.6 which includes tcp 3100 (Loki).",
            "`stdin` forwards tcp 3000-3400 -> 10.0.0.6 which includes tcp 3306 (MySQL/MariaDB).",
        ],
        id="range-with-admin-and-database-ports-in-port-order",
    ),
]
DATABASE_FORWARD = "tcp dport 5432 dnat to 10.0.0.5"
PASSING = [
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
]


def postgres(prop: str) -> str:
    return f"`{prop}` forwards tcp 5432 -> 10.0.0.5 which includes tcp 5432 (PostgreSQL)."


def public_forward(name: str, rule: str) -> Any:
    """A command loading one DNAT rule on the public address."""
    text = (
        "table ip platform_nat {\n  chain prerouting {\n"
        "    type nat hook prerouting priority dstnat; policy accept;\n"
        f"    ip daddr 203.0.113.10 {rule}\n  }}\n}}\n"
    )
    return resource(REMOTE, name, {"create": "nft -f -", "stdin": text})


EACH = "nft add rule ip nat prerouting tcp dport 5432 dnat to 10.0.0.5"

CASES = RuleCases(
    cases=[
        *(passes(r) for r in PASSING),
        *(
            fails(command("fail_" + i.replace("-", "_"), **{**BASELINE, **props}), *messages)
            for i, props, messages in FAILING
        ),
        fails(
            command("fail_each_scanned_property", create=EACH, update=EACH, stdin=EACH),
            postgres("create"),
            postgres("update"),
            postgres("stdin"),
        ),
        fails(
            command(
                "fail_local",
                LOCAL,
                create="nft add rule ip nat prerouting tcp dport 8086 dnat to 10.0.0.4",
            ),
            "`create` forwards tcp 8086 -> 10.0.0.4 which includes tcp 8086 (InfluxDB).",
        ),
        fails(
            nat_command(
                "fail_secret_stdin_is_read",
                {SECRET_SIG_KEY: SECRET_SIG, "value": ruleset("tcp dport 5984 dnat to 10.0.0.3")},
            ),
            "`stdin` forwards tcp 5984 -> 10.0.0.3 which includes tcp 5984 (CouchDB).",
        ),
        # Protocol-aware: a UDP media range that includes 3000 is not Grafana (TCP), while a
        # TCP forward of 3000 is.
        passes(public_forward("pass_udp_media_range", "udp dport 2000-10000 dnat to 10.0.0.10")),
        passes(public_forward("pass_udp_5432", "udp dport 5432 dnat to 10.0.0.13")),
        fails(
            public_forward("fail_tcp_grafana", "tcp dport 3000 dnat to 10.0.0.15"),
            "`stdin` forwards tcp 3000 -> 10.0.0.15 which includes tcp 3000 (Grafana / DbGate).",
        ),
        fails(
            public_forward("fail_udp_memcached", "udp dport 11000-11300 dnat to 10.0.0.9"),
            "`stdin` forwards udp 11000-11300 -> 10.0.0.9 which includes udp 11211 "
            "(Memcached (UDP)).",
        ),
        unknown(nat_command("unknown_stdin", UNKNOWN), ".stdin"),
        unknown(command("unknown_create", create=UNKNOWN, stdin=PROD_RULESET), ".create"),
        unknown(command("unknown_update", LOCAL, update=UNKNOWN), ".update"),
    ],
)
