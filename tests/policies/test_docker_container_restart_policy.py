"""docker-container-restart-policy, through the pack process and the analyzer protocol."""

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

POLICY = "docker-container-restart-policy"
DESCRIPTION = (
    "Docker containers restart on their own: `restart` is always, unless-stopped or on-failure."
)


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "advisory", f"{DESCRIPTION}\n{message}")


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


@pytest.mark.parametrize("restart", ["always", "unless-stopped", "on-failure"])
def test_restarting_policies_pass(pack: PolicyPackProcess, restart: str) -> None:
    assert check(pack, container("db", restart=restart)) == []


@pytest.mark.parametrize(
    ("restart", "message"),
    [
        pytest.param(None, "`restart` is 'no'.", id="missing-filled-by-provider-check"),
        pytest.param("no", "`restart` is 'no'.", id="no"),
        pytest.param("", "`restart` is ''.", id="empty"),
        pytest.param("Always", "`restart` is 'Always'.", id="wrong-case"),
    ],
)
def test_each_non_restarting_policy_is_one_violation(
    pack: PolicyPackProcess, restart: Any, message: str
) -> None:
    mutated = container("db", restart=restart)
    found = check(pack, mutated)
    assert diagnostics(found) == [violation(message)]
    assert found[0].urn == mutated.urn


def test_unknown_restart_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    assert diagnostics(check(pack, container("db", restart=UNKNOWN))) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .restart can't be known during preview",
        )
    ]


FIXTURES = [
    container("pass_baseline"),
    container("pass_always", restart="always"),
    container("pass_on_failure", restart="on-failure", maxRetryCount=5),
    resource("docker:index/image:Image", "pass_not_a_container", {"name": "app"}),
    container("fail_missing", restart=None),
    container("fail_no", restart="no"),
    container("unknown_restart", restart=UNKNOWN),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # Other policies may also defer on an unknown_* resource, but report no violation.
    assert {v.policy for v in violations if not is_not_run(v)} == {POLICY}
