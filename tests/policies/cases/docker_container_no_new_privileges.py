"""docker-container-no-new-privileges (CIS 5.25)."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container, resource
from ..harness import RuleCases, fails, passes, unknown

NOT_SET = "`securityOpts` does not set no-new-privileges."


def not_true(option: str) -> str:
    return f"`securityOpts` sets {option}, which is not true."


CASES = RuleCases(
    cases=[
        passes(container("pass_baseline")),
        passes(container("pass_bare", securityOpts=["no-new-privileges"])),
        passes(container("pass_equals_true", securityOpts=["no-new-privileges=true"])),
        passes(container("pass_parse_bool_1", securityOpts=["no-new-privileges=1"])),
        passes(container("pass_parse_bool_True", securityOpts=["no-new-privileges=True"])),
        passes(
            container(
                "pass_among_others", securityOpts=["seccomp=default.json", "no-new-privileges"]
            )
        ),
        passes(
            container(
                "pass_last_wins_true",
                securityOpts=["no-new-privileges=false", "no-new-privileges"],
            )
        ),
        passes(resource("docker:index/image:Image", "pass_not_a_container", {"name": "app"})),
        fails(container("fail_missing", securityOpts=None), NOT_SET),
        fails(container("fail_empty", securityOpts=[]), NOT_SET),
        fails(container("fail_other_only", securityOpts=["apparmor=docker-default"]), NOT_SET),
        fails(container("fail_not_the_option", securityOpts=["no-new-privileges-please"]), NOT_SET),
        fails(
            container("fail_colon_false", securityOpts=["no-new-privileges:false"]),
            not_true("no-new-privileges:false"),
        ),
        fails(
            container("fail_equals_empty", securityOpts=["no-new-privileges="]),
            not_true("no-new-privileges="),
        ),
        fails(
            container("fail_not_a_go_bool", securityOpts=["no-new-privileges=yes"]),
            not_true("no-new-privileges=yes"),
        ),
        fails(
            container(
                "fail_last_wins_false", securityOpts=["no-new-privileges", "no-new-privileges=0"]
            ),
            not_true("no-new-privileges=0"),
        ),
        unknown(container("unknown_list", securityOpts=UNKNOWN), ".securityOpts"),
        unknown(container("unknown_entry", securityOpts=[UNKNOWN]), ".securityOpts.0"),
        unknown(
            container("unknown_after_true", securityOpts=["no-new-privileges", UNKNOWN]),
            ".securityOpts.1",
        ),
    ],
)
