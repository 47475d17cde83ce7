"""docker-container-restart-policy (CIS 5.14): a missing `restart` arrives as the provider's
default "no"."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container, resource
from ..harness import RuleCases, fails, passes, unknown

CASES = RuleCases(
    cases=[
        passes(container("pass_baseline")),
        passes(container("pass_always", restart="always")),
        passes(container("pass_on_failure", restart="on-failure", maxRetryCount=5)),
        passes(resource("docker:index/image:Image", "pass_not_a_container", {"name": "app"})),
        fails(container("fail_missing_filled_by_check", restart=None), "`restart` is 'no'."),
        fails(container("fail_no", restart="no"), "`restart` is 'no'."),
        fails(container("fail_empty", restart=""), "`restart` is ''."),
        fails(container("fail_wrong_case", restart="Always"), "`restart` is 'Always'."),
        unknown(container("unknown_restart", restart=UNKNOWN), ".restart"),
    ],
)
