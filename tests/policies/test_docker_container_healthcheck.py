"""docker-container-healthcheck, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import (
    UNKNOWN,
    check,
    container,
    diagnostics,
    is_not_run,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "docker-container-healthcheck"
DESCRIPTION = (
    "Docker containers declare a health check: `healthcheck.tests` runs a command with CMD or "
    "CMD-SHELL."
)


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "advisory", f"{DESCRIPTION}\n{message}")


def not_run(path: str) -> tuple[str, str, str]:
    return (
        POLICY,
        "advisory",
        not_run_prefix(POLICY) + f"string value at .{path} can't be known during preview",
    )


def healthcheck(*tests: Any) -> dict[str, Any]:
    return {"tests": list(tests), "interval": "10s"}


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(None, "`healthcheck` is not set.", id="missing"),
        pytest.param({"interval": "10s"}, "`healthcheck.tests` is empty.", id="tests-missing"),
        pytest.param(healthcheck(), "`healthcheck.tests` is empty.", id="tests-empty"),
        pytest.param(
            healthcheck("NONE"),
            "`healthcheck.tests` is NONE, which disables the health check.",
            id="none",
        ),
        pytest.param(
            healthcheck("pg_isready -U app"),
            "`healthcheck.tests` does not start with CMD or CMD-SHELL, so Docker runs no check.",
            id="no-probe-type",
        ),
        pytest.param(
            healthcheck("cmd", "true"),
            "`healthcheck.tests` does not start with CMD or CMD-SHELL, so Docker runs no check.",
            id="lower-case-type",
        ),
        pytest.param(
            healthcheck("CMD"), "`healthcheck.tests` has no command after CMD.", id="cmd-alone"
        ),
        pytest.param(
            healthcheck("CMD-SHELL"),
            "`healthcheck.tests` has no command after CMD-SHELL.",
            id="cmd-shell-alone",
        ),
    ],
)
def test_each_missing_check_is_one_violation(
    pack: PolicyPackProcess, value: Any, message: str
) -> None:
    mutated = container("db", healthcheck=value)
    assert diagnostics(check(pack, mutated)) == [violation(message)]


def test_message_never_shows_the_command(pack: PolicyPackProcess) -> None:
    mutated = container("db", healthcheck=healthcheck("redis-cli -a hunter2 ping"))
    [found] = check(pack, mutated)
    assert "hunter2" not in found.message
    assert found.urn == mutated.urn


def test_unknown_tests_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    mutated = container("db", healthcheck={"tests": UNKNOWN})
    assert diagnostics(check(pack, mutated)) == [not_run("healthcheck.tests")]


FIXTURES = [
    container("pass_baseline"),
    container("pass_cmd", healthcheck=healthcheck("CMD", "curl", "-f", "http://localhost/")),
    container("pass_cmd_shell", healthcheck=healthcheck("CMD-SHELL", "pg_isready")),
    container("pass_unknown_command", healthcheck=healthcheck("CMD-SHELL", UNKNOWN)),
    resource("docker:index/image:Image", "pass_not_a_container", {"name": "app"}),
    container("fail_missing", healthcheck=None),
    container("fail_empty", healthcheck=healthcheck()),
    container("fail_none", healthcheck=healthcheck("NONE")),
    container("fail_bare_command", healthcheck=healthcheck("curl -f http://localhost/")),
    container("fail_cmd_alone", healthcheck=healthcheck("CMD")),
    container("unknown_healthcheck", healthcheck=UNKNOWN),
    container("unknown_tests", healthcheck={"tests": UNKNOWN}),
    container("unknown_type", healthcheck=healthcheck(UNKNOWN, "pg_isready")),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # Other policies may also defer on an unknown_* resource, but report no violation.
    assert {v.policy for v in violations if not is_not_run(v)} == {POLICY}
