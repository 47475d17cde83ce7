"""docker-container-no-public-database-port, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess
from components.plan.recording import UNKNOWN

from .conftest import (
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "docker-container-no-public-database-port"
DESCRIPTION = "Docker containers never publish a database port on a public address."
CONTAINER = "docker:index/container:Container"


def container(name: str, ports: Any, **extra: Any) -> Any:
    return resource(
        CONTAINER, name, {"image": "postgres:17", "name": name, "ports": ports, **extra}
    )


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


BASELINE_PORTS = [
    {"internal": 5432, "external": 5432, "ip": "127.0.0.1", "protocol": "tcp"},
    {"internal": 6379, "external": 6379, "ip": "10.0.0.5", "protocol": "tcp"},
    {"internal": 80, "external": 8080, "protocol": "tcp"},
]


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check([container("db", BASELINE_PORTS)]) == []


@pytest.mark.parametrize(
    ("port", "messages"),
    [
        pytest.param(
            {"internal": 5432, "external": 5432},
            ["Port 5432 (PostgreSQL) is published as 5432 on all addresses."],
            id="ip-missing",
        ),
        pytest.param(
            {"internal": 5432, "external": 5432, "ip": ""},
            ["Port 5432 (PostgreSQL) is published as 5432 on all addresses."],
            id="ip-empty",
        ),
        pytest.param(
            {"internal": 5432},
            ["Port 5432 (PostgreSQL) is published as 5432 on all addresses."],
            id="external-missing",
        ),
        pytest.param(
            {"internal": 5432, "external": 5432, "ip": "0.0.0.0"},
            ["Port 5432 (PostgreSQL) is published as 5432 on 0.0.0.0."],
            id="ipv4-any",
        ),
        pytest.param(
            {"internal": 3306, "external": 3306, "ip": "::"},
            ["Port 3306 (MySQL/MariaDB) is published as 3306 on ::."],
            id="ipv6-any",
        ),
        pytest.param(
            {"internal": 6379, "external": 6379, "ip": "95.216.10.20"},
            ["Port 6379 (Redis) is published as 6379 on 95.216.10.20."],
            id="public-ipv4",
        ),
        pytest.param(
            {"internal": 27017, "external": 27017, "ip": "2a01:4f8:10a::2"},
            ["Port 27017 (MongoDB) is published as 27017 on 2a01:4f8:10a::2."],
            id="public-ipv6",
        ),
        pytest.param(
            {"internal": 5432, "external": 5432, "ip": "db.example.com"},
            ["Port 5432 (PostgreSQL) is published as 5432 on db.example.com."],
            id="not-an-address",
        ),
        pytest.param(
            {"internal": 5432, "external": 15432},
            ["Port 5432 (PostgreSQL) is published as 15432 on all addresses."],
            id="external-port-rewrite",
        ),
        pytest.param(
            {"internal": 80, "external": 3306, "ip": "0.0.0.0"},
            ["Host port 3306 (MySQL/MariaDB) is published on 0.0.0.0 for container port 80."],
            id="host-port-is-database-port",
        ),
        pytest.param(
            {"internal": 6379, "external": 5432},
            ["Port 6379 (Redis) is published as 5432 on all addresses."],
            id="both-database-ports-one-violation",
        ),
        pytest.param(
            {"internal": 5432, "external": 5432, "ip": "0.0.0.0", "protocol": "udp"},
            ["Port 5432 (PostgreSQL) is published as 5432 on 0.0.0.0."],
            id="udp",
        ),
    ],
)
def test_each_public_database_port_is_one_violation(
    pack: PolicyPackProcess, port: dict[str, Any], messages: list[str]
) -> None:
    mutated = container("db", [*BASELINE_PORTS, port])
    assert diagnostics(pack.check([mutated])) == [violation(m) for m in messages]


def test_every_public_database_port_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = container(
        "db",
        [
            {"internal": 9200, "external": 9200},
            {"internal": 80, "external": 80},
            {"internal": 11211, "external": 11211, "ip": "0.0.0.0"},
        ],
    )
    assert diagnostics(pack.check([mutated])) == [
        violation("Port 9200 (Elasticsearch/OpenSearch) is published as 9200 on all addresses."),
        violation("Port 11211 (Memcached) is published as 11211 on 0.0.0.0."),
    ]


def test_violation_carries_the_resource_urn(pack: PolicyPackProcess) -> None:
    mutated = container("db", [{"internal": 5432}])
    [found] = pack.check([mutated])
    assert found.urn == mutated.urn


def test_unknown_value_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    mutated = container("db", [{"internal": 5432, "external": 5432, "ip": UNKNOWN}])
    assert diagnostics(pack.check([mutated])) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .ports.0.ip can't be known during preview",
        )
    ]


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = container(
        "db",
        [
            {"internal": 5432, "external": 5432, "ip": "0.0.0.0"},
            {"internal": 6379, "external": 6379, "ip": UNKNOWN},
        ],
    )
    assert diagnostics(pack.check([mutated])) == [
        violation("Port 5432 (PostgreSQL) is published as 5432 on 0.0.0.0."),
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .ports.1.ip can't be known during preview",
        ),
    ]


FIXTURES = [
    container("pass_loopback", [{"internal": 5432, "external": 5432, "ip": "127.0.0.1"}]),
    container("pass_ipv6_loopback", [{"internal": 5432, "external": 5432, "ip": "::1"}]),
    container("pass_private_10", [{"internal": 5432, "external": 5432, "ip": "10.0.0.5"}]),
    container("pass_private_192", [{"internal": 3306, "ip": "192.168.1.10"}]),
    container("pass_private_172", [{"internal": 6379, "ip": "172.16.0.2"}]),
    container("pass_ula", [{"internal": 27017, "ip": "fd00::5"}]),
    container("pass_link_local", [{"internal": 9092, "ip": "169.254.10.1"}]),
    container("pass_web_public", [{"internal": 80, "external": 80, "ip": "0.0.0.0"}]),
    container("pass_web_no_ip", [{"internal": 443, "external": 8443}]),
    container("pass_no_ports", []),
    container("pass_ports_absent", None),
    container("pass_web_unknown_ip", [{"internal": 80, "external": 80, "ip": UNKNOWN}]),
    resource(
        "docker:index/image:Image",
        "pass_not_a_container",
        {"ports": [{"internal": 5432, "ip": "0.0.0.0"}]},
    ),
    container("fail_no_ip", [{"internal": 5432, "external": 5432}]),
    container("fail_any_v4", [{"internal": 5432, "external": 5432, "ip": "0.0.0.0"}]),
    container("fail_any_v6", [{"internal": 5432, "external": 5432, "ip": "::"}]),
    container("fail_public", [{"internal": 8086, "external": 8086, "ip": "95.216.10.20"}]),
    container("fail_rewrite", [{"internal": 5432, "external": 15432}]),
    container("fail_host_port", [{"internal": 8080, "external": 5672}]),
    container("fail_among_others", [*BASELINE_PORTS, {"internal": 9042, "ip": "0.0.0.0"}]),
    container("unknown_ip", [{"internal": 5432, "external": 5432, "ip": UNKNOWN}]),
    container("unknown_ports", UNKNOWN),
    container("unknown_internal", [{"internal": UNKNOWN, "external": 8080, "ip": "0.0.0.0"}]),
    container("unknown_port_entry", [UNKNOWN]),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = pack.check(FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    assert {v.policy for v in violations} == {POLICY}
    real = [v for v in violations if v.level == "mandatory"]
    assert sorted(v.urn.rpartition("::")[2] for v in real) == sorted(
        n for n in names if n.startswith("fail_")
    )  # one violation each
