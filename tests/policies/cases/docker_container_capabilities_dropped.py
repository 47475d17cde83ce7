"""docker-container-capabilities-dropped (CIS 5.3, advisory)."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container
from ..harness import RuleCases, fails, passes, policy_of, unknown

POLICY = policy_of(__name__)
MESSAGE = (
    "`capabilities.drops` does not drop ALL: the container keeps Docker's default capabilities."
)

CASES = RuleCases(
    cases=[
        passes(container("pass_compliant")),
        passes(
            container("pass_cap_prefix", capabilities={"drops": ["cap_all"], "adds": ["CHOWN"]})
        ),
        fails(container("fail_none", capabilities=None), MESSAGE),
        fails(container("fail_some", capabilities={"drops": ["NET_RAW", "MKNOD"]}), MESSAGE),
        unknown(container("unknown_drops", capabilities={"drops": UNKNOWN}), ".capabilities.drops"),
    ],
)
