"""docker-container-port-explicit-address, through the pack process and the analyzer protocol."""

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

POLICY = "docker-container-port-explicit-address"
DESCRIPTION = (
    "Docker containers publish each port on an explicit address (`ip`) and never use "
    "`publishAllPorts`."
)
PORTS: list[dict[str, Any]] = COMPLIANT_CONTAINER["ports"]


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "advisory", f"{DESCRIPTION}\n{message}")


def not_run(path: str) -> tuple[str, str, str]:
    return (
        POLICY,
        "advisory",
        not_run_prefix(POLICY) + f"string value at {path} can't be known during preview",
    )


def with_port(name: str, *ports: Any, **changes: Any) -> Any:
    return container(name, ports=[*PORTS, *ports], **changes)


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_explicit_public_and_private_addresses_pass(pack: PolicyPackProcess) -> None:
    explicit = with_port(
        "web",
        {"internal": 80, "external": 80, "ip": "0.0.0.0", "protocol": "tcp"},
        {"internal": 443, "external": 443, "ip": "::"},
        {"internal": 8443, "ip": "10.0.0.5"},
        publishAllPorts=False,
    )
    assert check(pack, explicit) == []


@pytest.mark.parametrize(
    ("port", "message"),
    [
        pytest.param(
            {"internal": 80, "external": 80, "protocol": "tcp"},
            "Container port 80/tcp is published as host port 80 without an `ip`.",
            id="ip-missing",
        ),
        pytest.param(
            {"internal": 80, "external": 80, "ip": ""},
            "Container port 80/tcp is published as host port 80 without an `ip`.",
            id="ip-empty",
        ),
        pytest.param(
            {"internal": 443, "external": 8443},
            "Container port 443/tcp is published as host port 8443 without an `ip`.",
            id="host-port-differs",
        ),
        pytest.param(
            {"internal": 80},
            "Container port 80/tcp is published on a random host port without an `ip`.",
            id="external-missing",
        ),
        pytest.param(
            {"internal": 3478, "external": 3478, "protocol": "udp"},
            "Container port 3478/udp is published as host port 3478 without an `ip`.",
            id="udp",
        ),
    ],
)
def test_each_port_without_address_is_one_violation(
    pack: PolicyPackProcess, port: dict[str, Any], message: str
) -> None:
    assert diagnostics(check(pack, with_port("db", port))) == [violation(message)]


def test_publish_all_ports_is_one_violation(pack: PolicyPackProcess) -> None:
    mutated = container("db", publishAllPorts=True)
    assert diagnostics(check(pack, mutated)) == [violation("`publishAllPorts` is true.")]


def test_every_violation_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = container(
        "web",
        ports=[
            {"internal": 80, "external": 80},
            {"internal": 443, "external": 443, "ip": "0.0.0.0"},
            {"internal": 3478, "protocol": "udp"},
        ],
        publishAllPorts=True,
    )
    assert diagnostics(check(pack, mutated)) == [
        violation("Container port 80/tcp is published as host port 80 without an `ip`."),
        violation("Container port 3478/udp is published on a random host port without an `ip`."),
        violation("`publishAllPorts` is true."),
    ]


def test_unknown_ip_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    mutated = with_port("web", {"internal": 80, "external": 80, "ip": UNKNOWN})
    assert diagnostics(check(pack, mutated)) == [not_run(".ports.1.ip")]


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = container("web", ports=[{"internal": 80, "external": 80}], publishAllPorts=UNKNOWN)
    assert diagnostics(check(pack, mutated)) == [
        violation("Container port 80/tcp is published as host port 80 without an `ip`."),
        not_run(".publishAllPorts"),
    ]


FIXTURES = [
    container("pass_loopback"),
    container("pass_any_v4", ports=[{"internal": 80, "external": 80, "ip": "0.0.0.0"}]),
    container("pass_any_v6", ports=[{"internal": 80, "external": 80, "ip": "::"}]),
    container("pass_public", ports=[{"internal": 443, "ip": "95.216.10.20"}]),
    container("pass_no_ports", ports=[]),
    container("pass_ports_absent", ports=None),
    container("pass_publish_all_false", publishAllPorts=False),
    # The verdict needs only `ip`: an unknown port number on an explicit address defers nothing.
    container("pass_unknown_internal", ports=[{"internal": UNKNOWN, "ip": "0.0.0.0"}]),
    resource("docker:index/image:Image", "pass_not_a_container", {"ports": [{"internal": 80}]}),
    container("fail_no_ip", ports=[{"internal": 80, "external": 80}]),
    container("fail_empty_ip", ports=[{"internal": 80, "external": 80, "ip": ""}]),
    container("fail_random_host_port", ports=[{"internal": 80}]),
    container("fail_publish_all", publishAllPorts=True),
    with_port("fail_among_others", {"internal": 8443, "external": 8443}),
    container("unknown_ip", ports=[{"internal": 80, "ip": UNKNOWN}]),
    container("unknown_ports", ports=UNKNOWN),
    container("unknown_port_entry", ports=[UNKNOWN]),
    container("unknown_internal_without_ip", ports=[{"internal": UNKNOWN}]),
    container("unknown_publish_all", publishAllPorts=UNKNOWN),
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
