"""docker-container-resource-limits, through the pack process and the analyzer protocol."""

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

POLICY = "docker-container-resource-limits"
DESCRIPTION = (
    "Docker containers set a memory limit (`memory` above 0) and a process limit (a `ulimits` "
    "entry named nproc with `hard` above 0, as this provider has no pids-limit property)."
)
NPROC = {"name": "nproc", "soft": 512, "hard": 512}
NOFILE = {"name": "nofile", "soft": 1024, "hard": 4096}


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "advisory", f"{DESCRIPTION}\n{message}")


def not_run(path: str) -> tuple[str, str, str]:
    return (
        POLICY,
        "advisory",
        not_run_prefix(POLICY) + f"string value at .{path} can't be known during preview",
    )


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        pytest.param(
            {"memory": None}, ["No memory limit: `memory` is not set."], id="memory-missing"
        ),
        pytest.param({"memory": 0}, ["No memory limit: `memory` is 0."], id="memory-zero"),
        pytest.param({"memory": -1}, ["No memory limit: `memory` is -1."], id="memory-negative"),
        pytest.param(
            {"ulimits": None},
            ["No process limit: `ulimits` has no nproc entry."],
            id="ulimits-missing",
        ),
        pytest.param(
            {"ulimits": [NOFILE]},
            ["No process limit: `ulimits` has no nproc entry."],
            id="only-other-ulimits",
        ),
        pytest.param(
            {"ulimits": [{"name": "nproc", "soft": 0, "hard": 0}]},
            ["No process limit: the nproc ulimit's `hard` is 0."],
            id="nproc-zero",
        ),
        pytest.param(
            {"ulimits": [{"name": "nproc", "soft": -1, "hard": -1}]},
            ["No process limit: the nproc ulimit's `hard` is -1."],
            id="nproc-unlimited",
        ),
        pytest.param(
            {"ulimits": [{"name": "nproc", "soft": 512}]},
            ["No process limit: the nproc ulimit's `hard` is not set."],
            id="nproc-hard-missing",
        ),
        pytest.param(
            {"ulimits": [NPROC, {"name": "nproc", "soft": 0, "hard": 0}]},
            ["No process limit: the nproc ulimit's `hard` is 0."],
            id="one-of-two-nproc-unlimited",
        ),
        pytest.param(
            {"memory": None, "ulimits": None},
            [
                "No memory limit: `memory` is not set.",
                "No process limit: `ulimits` has no nproc entry.",
            ],
            id="both-missing-two-violations",
        ),
    ],
)
def test_each_missing_limit_is_one_violation(
    pack: PolicyPackProcess, changes: dict[str, Any], messages: list[str]
) -> None:
    mutated = container("db", **changes)
    assert diagnostics(check(pack, mutated)) == [violation(m) for m in messages]


def test_violation_carries_the_resource_urn(pack: PolicyPackProcess) -> None:
    mutated = container("db", memory=None)
    [found] = check(pack, mutated)
    assert found.urn == mutated.urn


def test_unknown_memory_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    assert diagnostics(check(pack, container("db", memory=UNKNOWN))) == [not_run("memory")]


def test_memory_violation_before_an_unknown_ulimit_is_kept(pack: PolicyPackProcess) -> None:
    mutated = container("db", memory=None, ulimits=[{"name": "nproc", "soft": 1, "hard": UNKNOWN}])
    assert diagnostics(check(pack, mutated)) == [
        violation("No memory limit: `memory` is not set."),
        not_run("ulimits.0.hard"),
    ]


FIXTURES = [
    container("pass_baseline"),
    container("pass_nproc_among_others", ulimits=[NOFILE, NPROC]),
    container("pass_small_memory", memory=6),
    container("pass_unknown_other_ulimit", ulimits=[{**NOFILE, "hard": UNKNOWN}, NPROC]),
    resource("docker:index/image:Image", "pass_not_a_container", {"name": "app"}),
    container("fail_no_memory", memory=None),
    container("fail_zero_memory", memory=0),
    container("fail_no_ulimits", ulimits=None),
    container("fail_empty_ulimits", ulimits=[]),
    container("fail_nproc_zero", ulimits=[{"name": "nproc", "soft": 0, "hard": 0}]),
    container("fail_nofile_only", ulimits=[NOFILE]),
    container("unknown_memory", memory=UNKNOWN),
    container("unknown_ulimits", ulimits=UNKNOWN),
    container("unknown_ulimit_entry", ulimits=[UNKNOWN]),
    container("unknown_ulimit_name", ulimits=[{"name": UNKNOWN, "soft": 1, "hard": 1}]),
    container("unknown_nproc_hard", ulimits=[{"name": "nproc", "soft": 1, "hard": UNKNOWN}]),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # Other policies may also defer on an unknown_* resource, but report no violation.
    assert {v.policy for v in violations if not is_not_run(v)} == {POLICY}
