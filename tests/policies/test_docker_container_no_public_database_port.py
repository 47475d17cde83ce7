"""docker-container-no-public-database-port, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import (
    COMPLIANT_CONTAINER,
    UNKNOWN,
    check,
    container,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "docker-container-no-public-database-port"
DESCRIPTION = "Docker containers never publish a database port on a public address."
# A port without `ip` also trips this rule (advisory); the tests below list it where it does.
EXPLICIT_ADDRESS = "docker-container-port-explicit-address"
EXPLICIT_ADDRESS_DESCRIPTION = (
    "Docker containers publish each port on an explicit address (`ip`) and never use "
    "`publishAllPorts`."
)
ADMIN_PORT = "docker-container-no-public-admin-port"
PORT_POLICIES = (EXPLICIT_ADDRESS, ADMIN_PORT)

# COMPLIANT_CONTAINER's 5432 on loopback, Redis on a private address and a public web port.
BASELINE_PORTS: list[dict[str, Any]] = [
    *COMPLIANT_CONTAINER["ports"],
    {"internal": 6379, "external": 6379, "ip": "10.0.0.5", "protocol": "tcp"},
    {"internal": 80, "external": 80, "ip": "0.0.0.0", "protocol": "tcp"},
]


def with_ports(name: str, ports: Any) -> Any:
    return container(name, ports=ports)


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def no_address(message: str) -> tuple[str, str, str]:
    return (EXPLICIT_ADDRESS, "advisory", f"{EXPLICIT_ADDRESS_DESCRIPTION}\n{message}")


def not_run(policy: str, path: str) -> tuple[str, str, str]:
    return (
        policy,
        "advisory",
        not_run_prefix(policy) + f"string value at {path} can't be known during preview",
    )


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []
    assert check(pack, with_ports("db", BASELINE_PORTS)) == []


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        pytest.param(
            {"internal": 5432, "external": 5432},
            [
                violation("Port 5432 (PostgreSQL) is published as 5432 on all addresses."),
                no_address(
                    "Container port 5432/tcp is published as host port 5432 without an `ip`."
                ),
            ],
            id="ip-missing",
        ),
        pytest.param(
            {"internal": 5432, "external": 5432, "ip": ""},
            [
                violation("Port 5432 (PostgreSQL) is published as 5432 on all addresses."),
                no_address(
                    "Container port 5432/tcp is published as host port 5432 without an `ip`."
                ),
            ],
            id="ip-empty",
        ),
        pytest.param(
            {"internal": 5432},
            [
                violation(
                    "Port 5432 (PostgreSQL) is published as a random host port on all addresses."
                ),
                no_address(
                    "Container port 5432/tcp is published on a random host port without an `ip`."
                ),
            ],
            id="external-missing",
        ),
        pytest.param(
            {"internal": 5432, "external": 5432, "ip": "0.0.0.0"},
            [violation("Port 5432 (PostgreSQL) is published as 5432 on 0.0.0.0.")],
            id="ipv4-any",
        ),
        pytest.param(
            {"internal": 3306, "external": 3306, "ip": "::"},
            [violation("Port 3306 (MySQL/MariaDB) is published as 3306 on ::.")],
            id="ipv6-any",
        ),
        pytest.param(
            {"internal": 6379, "external": 6379, "ip": "95.216.10.20"},
            [violation("Port 6379 (Redis) is published as 6379 on 95.216.10.20.")],
            id="public-ipv4",
        ),
        pytest.param(
            {"internal": 27017, "external": 27017, "ip": "2a01:4f8:10a::2"},
            [violation("Port 27017 (MongoDB) is published as 27017 on 2a01:4f8:10a::2.")],
            id="public-ipv6",
        ),
        pytest.param(
            {"internal": 5432, "external": 5432, "ip": "db.example.com"},
            [violation("Port 5432 (PostgreSQL) is published as 5432 on db.example.com.")],
            id="not-an-address",
        ),
        pytest.param(
            {"internal": 5432, "external": 15432, "ip": "0.0.0.0"},
            [violation("Port 5432 (PostgreSQL) is published as 15432 on 0.0.0.0.")],
            id="external-port-rewrite",
        ),
        pytest.param(
            {"internal": 80, "external": 3306, "ip": "0.0.0.0"},
            [
                violation(
                    "Host port 3306 (MySQL/MariaDB) is published on 0.0.0.0 for container port 80."
                )
            ],
            id="host-port-is-database-port",
        ),
        pytest.param(
            {"internal": 6379, "external": 5432, "ip": "0.0.0.0"},
            [violation("Port 6379 (Redis) is published as 5432 on 0.0.0.0.")],
            id="both-database-ports-one-violation",
        ),
        pytest.param(
            {"internal": 5432, "external": 5432, "ip": "0.0.0.0", "protocol": "udp"},
            [violation("Port 5432 (PostgreSQL) is published as 5432 on 0.0.0.0.")],
            id="udp",
        ),
    ],
)
def test_each_public_database_port_is_one_violation(
    pack: PolicyPackProcess, port: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    mutated = with_ports("db", [*BASELINE_PORTS, port])
    assert diagnostics(check(pack, mutated)) == expected


def test_every_public_database_port_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = with_ports(
        "db",
        [
            {"internal": 9200, "external": 9200},
            {"internal": 80, "external": 80, "ip": "0.0.0.0"},
            {"internal": 11211, "external": 11211, "ip": "0.0.0.0"},
        ],
    )
    assert diagnostics(check(pack, mutated)) == [
        violation("Port 9200 (Elasticsearch/OpenSearch) is published as 9200 on all addresses."),
        violation("Port 11211 (Memcached) is published as 11211 on 0.0.0.0."),
        no_address("Container port 9200/tcp is published as host port 9200 without an `ip`."),
    ]


def test_violation_carries_the_resource_urn(pack: PolicyPackProcess) -> None:
    mutated = with_ports("db", [{"internal": 5432, "ip": "0.0.0.0"}])
    [found] = check(pack, mutated)
    assert found.urn == mutated.urn


def test_unknown_value_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    mutated = with_ports("db", [{"internal": 5432, "external": 5432, "ip": UNKNOWN}])
    assert diagnostics(check(pack, mutated)) == [
        not_run(POLICY, ".ports.0.ip"),
        not_run(EXPLICIT_ADDRESS, ".ports.0.ip"),
    ]


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = with_ports(
        "db",
        [
            {"internal": 5432, "external": 5432, "ip": "0.0.0.0"},
            {"internal": 6379, "external": 6379, "ip": UNKNOWN},
        ],
    )
    assert diagnostics(check(pack, mutated)) == [
        violation("Port 5432 (PostgreSQL) is published as 5432 on 0.0.0.0."),
        not_run(POLICY, ".ports.1.ip"),
        not_run(EXPLICIT_ADDRESS, ".ports.1.ip"),
    ]


FIXTURES = [
    with_ports("pass_loopback", [{"internal": 5432, "external": 5432, "ip": "127.0.0.1"}]),
    with_ports("pass_ipv6_loopback", [{"internal": 5432, "external": 5432, "ip": "::1"}]),
    with_ports("pass_private_10", [{"internal": 5432, "external": 5432, "ip": "10.0.0.5"}]),
    with_ports("pass_private_192", [{"internal": 3306, "ip": "192.168.1.10"}]),
    with_ports("pass_private_172", [{"internal": 6379, "ip": "172.16.0.2"}]),
    with_ports("pass_ula", [{"internal": 27017, "ip": "fd00::5"}]),
    with_ports("pass_link_local", [{"internal": 9092, "ip": "169.254.10.1"}]),
    with_ports("pass_web_public", [{"internal": 80, "external": 80, "ip": "0.0.0.0"}]),
    with_ports("pass_web_no_ip", [{"internal": 443, "external": 8443}]),
    with_ports("pass_no_ports", []),
    with_ports("pass_ports_absent", None),
    with_ports("pass_web_unknown_ip", [{"internal": 80, "external": 80, "ip": UNKNOWN}]),
    resource(
        "docker:index/image:Image",
        "pass_not_a_container",
        {"ports": [{"internal": 5432, "ip": "0.0.0.0"}]},
    ),
    with_ports("fail_no_ip", [{"internal": 5432, "external": 5432}]),
    with_ports("fail_any_v4", [{"internal": 5432, "external": 5432, "ip": "0.0.0.0"}]),
    with_ports("fail_any_v6", [{"internal": 5432, "external": 5432, "ip": "::"}]),
    with_ports("fail_public", [{"internal": 8086, "external": 8086, "ip": "95.216.10.20"}]),
    with_ports("fail_rewrite", [{"internal": 5432, "external": 15432, "ip": "0.0.0.0"}]),
    with_ports("fail_host_port", [{"internal": 8000, "external": 5672, "ip": "0.0.0.0"}]),
    with_ports("fail_among_others", [*BASELINE_PORTS, {"internal": 9042, "ip": "0.0.0.0"}]),
    with_ports("unknown_ip", [{"internal": 5432, "external": 5432, "ip": UNKNOWN}]),
    with_ports("unknown_ports", UNKNOWN),
    with_ports("unknown_internal", [{"internal": UNKNOWN, "external": 8000, "ip": "0.0.0.0"}]),
    with_ports("unknown_port_entry", [UNKNOWN]),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    real = [v for v in violations if v.policy == POLICY and v.level == "mandatory"]
    assert sorted(v.urn.rpartition("::")[2] for v in real) == sorted(
        n for n in names if n.startswith("fail_")
    )  # one violation each
    # The other port rules see these fixtures too: only the missing or unknown addresses.
    others = {
        (v.policy, v.urn.rpartition("::")[2]) for v in violations if v.policy in PORT_POLICIES
    }
    assert others == {
        (EXPLICIT_ADDRESS, "pass_web_no_ip"),
        (EXPLICIT_ADDRESS, "pass_web_unknown_ip"),
        (EXPLICIT_ADDRESS, "fail_no_ip"),
        (EXPLICIT_ADDRESS, "unknown_ip"),
        (EXPLICIT_ADDRESS, "unknown_ports"),
        (EXPLICIT_ADDRESS, "unknown_port_entry"),
        (ADMIN_PORT, "unknown_ports"),
        (ADMIN_PORT, "unknown_internal"),
        (ADMIN_PORT, "unknown_port_entry"),
    }
