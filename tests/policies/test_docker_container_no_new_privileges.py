"""docker-container-no-new-privileges, through the pack process and the analyzer protocol."""

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

POLICY = "docker-container-no-new-privileges"
DESCRIPTION = (
    "Docker containers run with no-new-privileges: `securityOpts` contains no-new-privileges, "
    "no-new-privileges:true or no-new-privileges=true."
)
NOT_SET = "`securityOpts` does not set no-new-privileges."


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "advisory", f"{DESCRIPTION}\n{message}")


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(["no-new-privileges"], id="bare"),
        pytest.param(["no-new-privileges:true"], id="colon-true"),
        pytest.param(["no-new-privileges=true"], id="equals-true"),
        pytest.param(["no-new-privileges=1"], id="parse-bool-1"),
        pytest.param(["no-new-privileges=True"], id="parse-bool-True"),
        pytest.param(["apparmor=docker-default", "no-new-privileges=true"], id="among-others"),
        pytest.param(["no-new-privileges=false", "no-new-privileges"], id="last-wins-true"),
    ],
)
def test_no_new_privileges_passes(pack: PolicyPackProcess, options: list[str]) -> None:
    assert check(pack, container("db", securityOpts=options)) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(None, NOT_SET, id="missing"),
        pytest.param([], NOT_SET, id="empty"),
        pytest.param(["apparmor=docker-default"], NOT_SET, id="other-options-only"),
        pytest.param(["no-new-privileges-please"], NOT_SET, id="not-the-option"),
        pytest.param(
            ["no-new-privileges:false"],
            "`securityOpts` sets no-new-privileges:false, which is not true.",
            id="colon-false",
        ),
        pytest.param(
            ["no-new-privileges=false"],
            "`securityOpts` sets no-new-privileges=false, which is not true.",
            id="equals-false",
        ),
        pytest.param(
            ["no-new-privileges="],
            "`securityOpts` sets no-new-privileges=, which is not true.",
            id="equals-empty",
        ),
        pytest.param(
            ["no-new-privileges=yes"],
            "`securityOpts` sets no-new-privileges=yes, which is not true.",
            id="not-a-go-bool",
        ),
        pytest.param(
            ["no-new-privileges", "no-new-privileges=0"],
            "`securityOpts` sets no-new-privileges=0, which is not true.",
            id="last-wins-false",
        ),
    ],
)
def test_each_missing_flag_is_one_violation(
    pack: PolicyPackProcess, options: Any, message: str
) -> None:
    mutated = container("db", securityOpts=options)
    found = check(pack, mutated)
    assert diagnostics(found) == [violation(message)]
    assert found[0].urn == mutated.urn


def test_unknown_option_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    found = check(pack, container("db", securityOpts=["no-new-privileges=true", UNKNOWN]))
    unknown_option = "string value at .securityOpts.1 can't be known during preview"
    assert [(v.policy, v.level, v.message) for v in found if v.policy == POLICY] == [
        (POLICY, "advisory", not_run_prefix(POLICY) + unknown_option)
    ]
    # Other policies that read `securityOpts` defer too; none reports a violation.
    assert all(v.message == not_run_prefix(v.policy) + unknown_option for v in found)


FIXTURES = [
    container("pass_baseline"),
    container("pass_bare", securityOpts=["no-new-privileges"]),
    container("pass_equals", securityOpts=["seccomp=default.json", "no-new-privileges=true"]),
    resource("docker:index/image:Image", "pass_not_a_container", {"name": "app"}),
    container("fail_missing", securityOpts=None),
    container("fail_false", securityOpts=["no-new-privileges:false"]),
    container("fail_overridden", securityOpts=["no-new-privileges", "no-new-privileges=false"]),
    container("unknown_list", securityOpts=UNKNOWN),
    container("unknown_entry", securityOpts=[UNKNOWN]),
    container("unknown_after_true", securityOpts=["no-new-privileges", UNKNOWN]),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # Other policies may also defer on an unknown_* resource, but report no violation.
    assert {v.policy for v in violations if not is_not_run(v)} == {POLICY}
