"""docker-container-no-risky-capabilities, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

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

POLICY = "docker-container-no-risky-capabilities"
DESCRIPTION = (
    "Docker containers never add a capability that reaches the host: ALL, SYS_ADMIN, "
    "NET_ADMIN, SYS_PTRACE, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF, PERFMON, SYS_BOOT, "
    "MAC_ADMIN or MAC_OVERRIDE."
)
RISKY = (
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "SYS_BOOT",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
)


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def adding(name: str, adds: Any, drops: Any = ("ALL",)) -> Any:
    capabilities: dict[str, Any] = {"adds": adds if adds is UNKNOWN else list(adds)}
    capabilities["drops"] = drops if drops is UNKNOWN else list(drops)
    return container(name, capabilities=capabilities)


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_narrow_capabilities_pass(pack: PolicyPackProcess) -> None:
    narrow = adding("web", ["NET_BIND_SERVICE", "CAP_CHOWN", "setuid", "SETGID", "NET_RAW"])
    assert check(pack, narrow, container("no_caps", capabilities={"drops": ["ALL"]})) == []


@pytest.mark.parametrize("capability", RISKY)
def test_each_risky_capability_is_one_violation(pack: PolicyPackProcess, capability: str) -> None:
    mutated = adding("app", ["NET_BIND_SERVICE", capability])
    assert diagnostics(check(pack, mutated)) == [
        violation(f"`capabilities.adds` has {capability}.")
    ]


@pytest.mark.parametrize(
    ("added", "message"),
    [
        pytest.param(
            "CAP_SYS_ADMIN", "`capabilities.adds` has CAP_SYS_ADMIN (SYS_ADMIN).", id="prefix"
        ),
        pytest.param("sys_ptrace", "`capabilities.adds` has sys_ptrace (SYS_PTRACE).", id="lower"),
        pytest.param("cap_bpf", "`capabilities.adds` has cap_bpf (BPF).", id="lower-prefix"),
        pytest.param("all", "`capabilities.adds` has all (ALL).", id="all-lower"),
        pytest.param(
            " Net_Admin ", "`capabilities.adds` has  Net_Admin  (NET_ADMIN).", id="spaces"
        ),
    ],
)
def test_spellings_are_normalised(pack: PolicyPackProcess, added: str, message: str) -> None:
    assert diagnostics(check(pack, adding("app", [added]))) == [violation(message)]


def test_each_capability_is_reported_once_in_order(pack: PolicyPackProcess) -> None:
    mutated = adding("app", ["SYS_PTRACE", "CHOWN", "SYS_ADMIN", "cap_sys_ptrace", "ALL"])
    assert diagnostics(check(pack, mutated)) == [
        violation("`capabilities.adds` has SYS_PTRACE."),
        violation("`capabilities.adds` has SYS_ADMIN."),
        violation("`capabilities.adds` has ALL."),
    ]


def test_dropping_does_not_cancel_an_add(pack: PolicyPackProcess) -> None:
    mutated = adding("app", ["SYS_ADMIN"], drops=["ALL", "SYS_ADMIN"])
    assert diagnostics(check(pack, mutated)) == [violation("`capabilities.adds` has SYS_ADMIN.")]


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = adding("app", ["SYS_ADMIN", UNKNOWN])
    assert diagnostics(check(pack, mutated)) == [
        violation("`capabilities.adds` has SYS_ADMIN."),
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY)
            + "string value at .capabilities.adds.1 can't be known during preview",
        ),
    ]


FIXTURES = [
    container("pass_compliant"),
    container("pass_no_capabilities", capabilities=None),
    adding("pass_narrow", ["NET_BIND_SERVICE"]),
    adding("pass_empty", []),
    # Only `adds` is read: unknown drops defer nothing.
    adding("pass_unknown_drops", ["CHOWN"], drops=UNKNOWN),
    resource(
        "docker:index/image:Image", "pass_not_a_container", {"capabilities": {"adds": ["ALL"]}}
    ),
    adding("fail_sys_admin", ["SYS_ADMIN"]),
    adding("fail_prefixed", ["CAP_NET_ADMIN"]),
    adding("fail_all", ["all"]),
    adding("fail_among_others", ["CHOWN", "DAC_READ_SEARCH"]),
    container("unknown_capabilities", capabilities=UNKNOWN),
    adding("unknown_adds", UNKNOWN),
    adding("unknown_entry", [UNKNOWN]),
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
