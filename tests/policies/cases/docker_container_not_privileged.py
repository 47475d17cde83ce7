"""docker-container-not-privileged (CIS 5.4)."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container, resource
from ..harness import RuleCases, fails, passes, unknown

CASES = RuleCases(
    cases=[
        passes(container("pass_absent")),
        passes(container("pass_false", privileged=False)),
        passes(resource("docker:index/image:Image", "pass_not_a_container", {"privileged": True})),
        fails(container("fail_privileged", privileged=True), "`privileged` is true."),
        unknown(container("unknown_privileged", privileged=UNKNOWN), ".privileged"),
    ],
)
