"""docker-container-no-unconfined-profile (CIS 5.1, 5.2, 5.21)."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import COMPLIANT_CONTAINER, container, resource
from ..harness import RuleCases, fails, passes, unknown

OPTS: list[str] = COMPLIANT_CONTAINER["securityOpts"]


def with_opts(name: str, *opts: Any) -> Any:
    return container(name, securityOpts=[*OPTS, *opts])


def disables(option: str, what: str) -> str:
    return f"`securityOpts` has {option}, which disables {what}."


CASES = RuleCases(
    cases=[
        passes(container("pass_compliant")),
        passes(
            with_opts(
                "pass_custom_profiles",
                "seccomp=/etc/docker/seccomp/app.json",
                "apparmor=docker-default",
                "apparmor:app-profile",
                "label=level:s0:c100,c200",
            )
        ),
        passes(
            resource(
                "docker:index/image:Image",
                "pass_not_a_container",
                {"securityOpts": ["label=disable"]},
            )
        ),
        fails(
            with_opts("fail_seccomp_equals", "seccomp=unconfined"),
            disables("seccomp=unconfined", "seccomp"),
        ),
        fails(
            with_opts("fail_seccomp_colon", "seccomp:unconfined"),
            disables("seccomp:unconfined", "seccomp"),
        ),
        fails(
            with_opts("fail_apparmor", "apparmor:unconfined"),
            disables("apparmor:unconfined", "AppArmor"),
        ),
        fails(
            with_opts("fail_label", "label=disable"), disables("label=disable", "SELinux labeling")
        ),
        fails(
            with_opts("fail_case_insensitive", "Seccomp=Unconfined"),
            disables("Seccomp=Unconfined", "seccomp"),
        ),
        fails(
            with_opts("fail_spaces", " apparmor = unconfined "),
            disables(" apparmor = unconfined ", "AppArmor"),
        ),
        fails(
            container(
                "fail_in_order",
                securityOpts=["label:disable", "no-new-privileges:true", "seccomp=unconfined"],
            ),
            disables("label:disable", "SELinux labeling"),
            disables("seccomp=unconfined", "seccomp"),
        ),
        unknown(container("unknown_opts", securityOpts=UNKNOWN), ".securityOpts"),
        unknown(
            container("unknown_after_violation", securityOpts=["apparmor=unconfined", UNKNOWN]),
            ".securityOpts.1",
            disables("apparmor=unconfined", "AppArmor"),
        ),
    ],
)
