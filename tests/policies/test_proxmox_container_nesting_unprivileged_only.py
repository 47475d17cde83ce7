"""proxmox-container-nesting-unprivileged-only, through the pack process and the protocol.

A container that trips this rule is privileged, so it always trips
proxmox-container-unprivileged too: the exact diagnostics below show both.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import UNKNOWN, diagnostics, not_run_names, not_run_prefix, violating_names
from .test_proxmox_container_unprivileged import (
    NESTING_DESCRIPTION,
    NOT_SET,
    lxc,
)
from .test_proxmox_container_unprivileged import (
    violation as unprivileged_violation,
)

POLICY = "proxmox-container-nesting-unprivileged-only"
DESCRIPTION = NESTING_DESCRIPTION
UNPRIVILEGED_POLICY = "proxmox-container-unprivileged"


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def not_run(policy: str, path: str) -> tuple[str, str, str]:
    return (
        policy,
        "advisory",
        not_run_prefix(policy) + f"string value at .{path} can't be known during preview",
    )


def test_compliant_container_with_nesting_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check([lxc("proxy", features={"nesting": True})]) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"unprivileged": False},
            [
                violation("`features.nesting` is true while `unprivileged` is false."),
                unprivileged_violation("`unprivileged` is false."),
            ],
            id="nesting-on-privileged",
        ),
        pytest.param(
            {"unprivileged": None},
            [
                violation(
                    "`features.nesting` is true while `unprivileged` is not set (privileged)."
                ),
                unprivileged_violation(NOT_SET),
            ],
            id="nesting-on-default-privileged",
        ),
        pytest.param(
            {"unprivileged": False, "features": {"nesting": True}},
            [
                violation("`features.nesting` is true while `unprivileged` is false."),
                unprivileged_violation("`unprivileged` is false."),
            ],
            id="nesting-only-feature",
        ),
    ],
)
def test_each_violation_kind(
    pack: PolicyPackProcess, changes: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    assert diagnostics(pack.check([lxc("web", **changes)])) == expected


@pytest.mark.parametrize(
    "features",
    [
        pytest.param(None, id="no-features"),
        pytest.param({"keyctl": True}, id="nesting-missing"),
        pytest.param({"nesting": False, "keyctl": True}, id="nesting-false"),
    ],
)
def test_privileged_without_nesting_violates_only_the_unprivileged_rule(
    pack: PolicyPackProcess, features: dict[str, Any] | None
) -> None:
    found = pack.check([lxc("web", unprivileged=False, features=features)])
    assert diagnostics(found) == [unprivileged_violation("`unprivileged` is false.")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"features": UNKNOWN}, [not_run(POLICY, "features")], id="features"),
        pytest.param(
            {"features": {"nesting": UNKNOWN, "keyctl": True}},
            [not_run(POLICY, "features.nesting")],
            id="nesting",
        ),
        pytest.param(
            {"unprivileged": UNKNOWN},
            [not_run(POLICY, "unprivileged"), not_run(UNPRIVILEGED_POLICY, "unprivileged")],
            id="unprivileged-with-nesting",
        ),
        pytest.param(
            {"unprivileged": False, "features": {"nesting": UNKNOWN}},
            [
                not_run(POLICY, "features.nesting"),
                unprivileged_violation("`unprivileged` is false."),
            ],
            id="nesting-on-privileged",
        ),
    ],
)
def test_unknown_values_are_not_run_advisories(
    pack: PolicyPackProcess, changes: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    assert diagnostics(pack.check([lxc("web", **changes)])) == expected


def test_unprivileged_is_read_only_when_nesting_is_on(pack: PolicyPackProcess) -> None:
    found = pack.check([lxc("web", unprivileged=UNKNOWN, features={"nesting": False})])
    assert diagnostics(found) == [not_run(UNPRIVILEGED_POLICY, "unprivileged")]


FIXTURES = [
    lxc("pass_compliant"),
    lxc("pass_nesting_only", features={"nesting": True}),
    lxc("pass_no_features", features=None),
    lxc("pass_privileged_without_nesting", unprivileged=False, features={"keyctl": True}),
    lxc("pass_privileged_nesting_off", unprivileged=None, features={"nesting": False}),
    lxc("pass_unknown_unprivileged_nesting_off", unprivileged=UNKNOWN, features={"fuse": True}),
    lxc("fail_privileged", unprivileged=False),
    lxc("fail_default_privileged", unprivileged=None),
    lxc("fail_all_features", unprivileged=False, features={"nesting": True, "fuse": True}),
    lxc("unknown_features", features=UNKNOWN),
    lxc("unknown_nesting", features={"nesting": UNKNOWN}),
    lxc("unknown_unprivileged", unprivileged=UNKNOWN),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    found = pack.check(FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(found, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(found, POLICY) == {n for n in names if n.startswith("unknown_")}
    assert {v.policy for v in found} == {POLICY, UNPRIVILEGED_POLICY}
