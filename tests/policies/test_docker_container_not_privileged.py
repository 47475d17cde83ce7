"""docker-container-not-privileged, through the pack process and the analyzer protocol."""

from __future__ import annotations

from components.plan.policy_runner import PolicyPackProcess

from .conftest import (
    UNKNOWN,
    check,
    container,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "docker-container-not-privileged"
DESCRIPTION = "Docker containers never run privileged."


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_privileged_is_one_violation(pack: PolicyPackProcess) -> None:
    mutated = container("db", privileged=True)
    assert diagnostics(check(pack, mutated)) == [violation("`privileged` is true.")]
    [found] = check(pack, mutated)
    assert found.urn == mutated.urn


def test_unknown_privileged_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    assert diagnostics(check(pack, container("db", privileged=UNKNOWN))) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .privileged can't be known during preview",
        )
    ]


FIXTURES = [
    container("pass_absent"),
    container("pass_false", privileged=False),
    resource("docker:index/image:Image", "pass_not_a_container", {"privileged": True}),
    container("fail_privileged", privileged=True),
    container("unknown_privileged", privileged=UNKNOWN),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    assert {v.policy for v in violations} == {POLICY}
