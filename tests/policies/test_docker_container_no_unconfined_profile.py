"""docker-container-no-unconfined-profile, through the pack process and the analyzer protocol."""

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

POLICY = "docker-container-no-unconfined-profile"
DESCRIPTION = (
    "Docker containers keep their seccomp, AppArmor and SELinux confinement: no "
    "`securityOpts` entry disables it."
)
OPTS: list[str] = COMPLIANT_CONTAINER["securityOpts"]


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def with_opts(name: str, *opts: Any) -> Any:
    return container(name, securityOpts=[*OPTS, *opts])


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_custom_profiles_pass(pack: PolicyPackProcess) -> None:
    custom = with_opts(
        "app",
        "seccomp=/etc/docker/seccomp/app.json",
        "apparmor=docker-default",
        "apparmor:app-profile",
        "label=level:s0:c100,c200",
    )
    assert check(pack, custom) == []


@pytest.mark.parametrize(
    ("option", "disabled"),
    [
        pytest.param("seccomp=unconfined", "seccomp", id="seccomp-equals"),
        pytest.param("seccomp:unconfined", "seccomp", id="seccomp-colon"),
        pytest.param("apparmor=unconfined", "AppArmor", id="apparmor-equals"),
        pytest.param("apparmor:unconfined", "AppArmor", id="apparmor-colon"),
        pytest.param("label=disable", "SELinux labeling", id="label-equals"),
        pytest.param("label:disable", "SELinux labeling", id="label-colon"),
        pytest.param("Seccomp=Unconfined", "seccomp", id="case-insensitive"),
        pytest.param(" apparmor = unconfined ", "AppArmor", id="spaces"),
    ],
)
def test_each_unconfining_option_is_one_violation(
    pack: PolicyPackProcess, option: str, disabled: str
) -> None:
    assert diagnostics(check(pack, with_opts("app", option))) == [
        violation(f"`securityOpts` has {option}, which disables {disabled}.")
    ]


def test_every_unconfining_option_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = container(
        "app", securityOpts=["label:disable", "no-new-privileges:true", "seccomp=unconfined"]
    )
    assert diagnostics(check(pack, mutated)) == [
        violation("`securityOpts` has label:disable, which disables SELinux labeling."),
        violation("`securityOpts` has seccomp=unconfined, which disables seccomp."),
    ]


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = container("app", securityOpts=["apparmor=unconfined", UNKNOWN])
    # Other `securityOpts` rules defer on the unknown entry too.
    mine = [d for d in diagnostics(check(pack, mutated)) if d[0] == POLICY]
    assert mine == [
        violation("`securityOpts` has apparmor=unconfined, which disables AppArmor."),
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY)
            + "string value at .securityOpts.1 can't be known during preview",
        ),
    ]


FIXTURES = [
    container("pass_compliant"),
    with_opts("pass_seccomp_profile", "seccomp=/srv/seccomp.json"),
    with_opts("pass_apparmor_profile", "apparmor=docker-default"),
    with_opts("pass_label_level", "label=level:s0"),
    resource(
        "docker:index/image:Image", "pass_not_a_container", {"securityOpts": ["label=disable"]}
    ),
    with_opts("fail_seccomp", "seccomp=unconfined"),
    with_opts("fail_apparmor", "apparmor:unconfined"),
    with_opts("fail_label", "label=disable"),
    container("unknown_opts", securityOpts=UNKNOWN),
    with_opts("unknown_entry", UNKNOWN),
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
