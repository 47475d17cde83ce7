"""proxmox-container-nesting-unprivileged-only."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import lxc
from ..harness import RuleCases, fails, passes, unknown

FALSE = "`features.nesting` is true while `unprivileged` is false."
NOT_SET = "`features.nesting` is true while `unprivileged` is not set (privileged)."

CASES = RuleCases(
    cases=[
        passes(lxc("pass_compliant")),
        passes(lxc("pass_nesting_only", features={"nesting": True})),
        passes(lxc("pass_no_features", features=None)),
        passes(
            lxc("pass_privileged_without_nesting", unprivileged=False, features={"keyctl": True})
        ),
        passes(
            lxc("pass_privileged_nesting_missing", unprivileged=False, features={"keyctl": True})
        ),
        passes(lxc("pass_privileged_nesting_off", unprivileged=None, features={"nesting": False})),
        # `unprivileged` is read only when nesting is on.
        passes(
            lxc(
                "pass_unknown_unprivileged_nesting_off",
                unprivileged=UNKNOWN,
                features={"fuse": True},
            )
        ),
        fails(lxc("fail_privileged", unprivileged=False), FALSE),
        fails(lxc("fail_default_privileged", unprivileged=None), NOT_SET),
        fails(
            lxc("fail_nesting_only_feature", unprivileged=False, features={"nesting": True}), FALSE
        ),
        fails(
            lxc("fail_all_features", unprivileged=False, features={"nesting": True, "fuse": True}),
            FALSE,
        ),
        unknown(lxc("unknown_features", features=UNKNOWN), ".features"),
        unknown(lxc("unknown_nesting", features={"nesting": UNKNOWN}), ".features.nesting"),
        unknown(lxc("unknown_unprivileged", unprivileged=UNKNOWN), ".unprivileged"),
        unknown(
            lxc("unknown_nesting_on_privileged", unprivileged=False, features={"nesting": UNKNOWN}),
            ".features.nesting",
        ),
    ],
)
