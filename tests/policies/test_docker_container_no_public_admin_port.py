"""docker-container-no-public-admin-port, through the pack process and the analyzer protocol."""

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

POLICY = "docker-container-no-public-admin-port"
DESCRIPTION = "Docker containers never publish an admin or management port on a public address."
PORTS: list[dict[str, Any]] = COMPLIANT_CONTAINER["ports"]


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def not_run(policy: str, path: str) -> tuple[str, str, str]:
    return (
        policy,
        "advisory",
        not_run_prefix(policy) + f"string value at {path} can't be known during preview",
    )


def with_port(name: str, *ports: Any) -> Any:
    return container(name, ports=[*PORTS, *ports])


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_admin_ports_on_non_public_addresses_pass(pack: PolicyPackProcess) -> None:
    admin = with_port(
        "admin",
        {"internal": 9000, "external": 9000, "ip": "127.0.0.1"},
        {"internal": 3000, "external": 3000, "ip": "10.0.0.5"},
        {"internal": 9090, "ip": "fd00::5"},
        {"internal": 80, "external": 80, "ip": "0.0.0.0"},
    )
    assert check(pack, admin) == []


@pytest.mark.parametrize(
    ("port", "message"),
    [
        pytest.param(
            {"internal": 9000, "external": 9000, "ip": "0.0.0.0"},
            "Port 9000 (Portainer) is published as 9000 on 0.0.0.0.",
            id="ipv4-any",
        ),
        pytest.param(
            {"internal": 9443, "external": 9443, "ip": "::"},
            "Port 9443 (Portainer (HTTPS)) is published as 9443 on ::.",
            id="ipv6-any",
        ),
        pytest.param(
            {"internal": 15672, "external": 15672, "ip": "95.216.10.20"},
            "Port 15672 (RabbitMQ management UI) is published as 15672 on 95.216.10.20.",
            id="public-ipv4",
        ),
        pytest.param(
            {"internal": 9090, "external": 9090, "ip": "2a01:4f8:10a::2"},
            "Port 9090 (Prometheus) is published as 9090 on 2a01:4f8:10a::2.",
            id="public-ipv6",
        ),
        pytest.param(
            {"internal": 3000, "external": 3000, "ip": "grafana.example.com"},
            "Port 3000 (Grafana / DbGate) is published as 3000 on grafana.example.com.",
            id="not-an-address",
        ),
        pytest.param(
            {"internal": 2375, "ip": "0.0.0.0"},
            "Port 2375 (Docker API without TLS) is published as a random host port on 0.0.0.0.",
            id="external-missing",
        ),
        pytest.param(
            {"internal": 3100, "external": 13100, "ip": "0.0.0.0"},
            "Port 3100 (Loki) is published as 13100 on 0.0.0.0.",
            id="external-port-rewrite",
        ),
        pytest.param(
            {"internal": 80, "external": 81, "ip": "0.0.0.0"},
            "Host port 81 (NGINX Proxy Manager admin UI) is published on 0.0.0.0 for "
            "container port 80.",
            id="host-port-is-admin-port",
        ),
        pytest.param(
            {"internal": 9090, "external": 9093, "ip": "0.0.0.0"},
            "Port 9090 (Prometheus) is published as 9093 on 0.0.0.0.",
            id="both-admin-ports-one-violation",
        ),
        pytest.param(
            {"internal": 1883, "external": 1883, "ip": "0.0.0.0", "protocol": "tcp"},
            "Port 1883 (MQTT without TLS (Mosquitto)) is published as 1883 on 0.0.0.0.",
            id="mqtt",
        ),
    ],
)
def test_each_public_admin_port_is_one_violation(
    pack: PolicyPackProcess, port: dict[str, Any], message: str
) -> None:
    assert diagnostics(check(pack, with_port("admin", port))) == [violation(message)]


def test_admin_port_without_address_also_trips_the_explicit_address_rule(
    pack: PolicyPackProcess,
) -> None:
    mutated = with_port("admin", {"internal": 2376, "external": 2376})
    assert diagnostics(check(pack, mutated)) == [
        violation("Port 2376 (Docker API) is published as 2376 on all addresses."),
        (
            "docker-container-port-explicit-address",
            "advisory",
            "Docker containers publish each port on an explicit address (`ip`) and never use "
            "`publishAllPorts`.\n"
            "Container port 2376/tcp is published as host port 2376 without an `ip`.",
        ),
    ]


def test_database_port_on_admin_host_port_trips_both_port_rules(
    pack: PolicyPackProcess,
) -> None:
    mutated = container("db", ports=[{"internal": 5432, "external": 8080, "ip": "0.0.0.0"}])
    assert diagnostics(check(pack, mutated)) == [
        violation(
            "Host port 8080 (Jenkins (and other admin web UIs)) is published on 0.0.0.0 for "
            "container port 5432."
        ),
        (
            "docker-container-no-public-database-port",
            "mandatory",
            "Docker containers never publish a database port on a public address.\n"
            "Port 5432 (PostgreSQL) is published as 8080 on 0.0.0.0.",
        ),
    ]


def test_every_public_admin_port_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = container(
        "admin",
        ports=[
            {"internal": 8006, "external": 8006, "ip": "0.0.0.0"},
            {"internal": 80, "external": 80, "ip": "0.0.0.0"},
            {"internal": 5050, "external": 5050, "ip": "95.216.10.20"},
        ],
    )
    assert diagnostics(check(pack, mutated)) == [
        violation("Port 8006 (Proxmox VE web UI and API) is published as 8006 on 0.0.0.0."),
        violation("Port 5050 (pgAdmin) is published as 5050 on 95.216.10.20."),
    ]


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = container(
        "admin",
        ports=[
            {"internal": 9000, "external": 9000, "ip": "0.0.0.0"},
            {"internal": 9443, "external": 9443, "ip": UNKNOWN},
        ],
    )
    assert diagnostics(check(pack, mutated)) == [
        violation("Port 9000 (Portainer) is published as 9000 on 0.0.0.0."),
        not_run(POLICY, ".ports.1.ip"),
        not_run("docker-container-port-explicit-address", ".ports.1.ip"),
    ]


FIXTURES = [
    container("pass_compliant"),
    container("pass_loopback", ports=[{"internal": 9000, "external": 9000, "ip": "127.0.0.1"}]),
    container("pass_ipv6_loopback", ports=[{"internal": 9000, "ip": "::1"}]),
    container("pass_private_192", ports=[{"internal": 3000, "ip": "192.168.1.10"}]),
    container("pass_private_172", ports=[{"internal": 15672, "ip": "172.16.0.2"}]),
    container("pass_cgnat", ports=[{"internal": 9090, "ip": "100.64.0.7"}]),
    container("pass_web_public", ports=[{"internal": 443, "external": 443, "ip": "0.0.0.0"}]),
    # `ip` is read only for admin ports: an unknown address on port 443 defers nothing.
    container("pass_web_unknown_ip", ports=[{"internal": 443, "ip": UNKNOWN}]),
    container("pass_ports_absent", ports=None),
    resource(
        "docker:index/image:Image",
        "pass_not_a_container",
        {"ports": [{"internal": 9000, "ip": "0.0.0.0"}]},
    ),
    container("fail_no_ip", ports=[{"internal": 9000, "external": 9000}]),
    container("fail_any_v4", ports=[{"internal": 8081, "external": 8081, "ip": "0.0.0.0"}]),
    container("fail_public", ports=[{"internal": 9093, "ip": "95.216.10.20"}]),
    container("fail_host_port", ports=[{"internal": 8000, "external": 8080, "ip": "::"}]),
    with_port("fail_among_others", {"internal": 81, "external": 81, "ip": "0.0.0.0"}),
    container("unknown_ip", ports=[{"internal": 9000, "ip": UNKNOWN}]),
    container("unknown_ports", ports=UNKNOWN),
    container("unknown_port_entry", ports=[UNKNOWN]),
    container("unknown_internal", ports=[{"internal": UNKNOWN, "external": 80, "ip": "0.0.0.0"}]),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # one diagnostic each
    assert len([v for v in violations if v.policy == POLICY]) == len(
        [n for n in names if not n.startswith("pass_")]
    )
