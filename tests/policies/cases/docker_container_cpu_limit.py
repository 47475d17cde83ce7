"""docker-container-cpu-limit (CIS 5.11, advisory)."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container
from ..harness import RuleCases, fails, passes, policy_of, unknown

POLICY = policy_of(__name__)
MESSAGE = "No CPU limit: neither `cpus` nor `cpuQuota` is set above 0."

CASES = RuleCases(
    cases=[
        passes(container("pass_cpus")),
        passes(container("pass_quota", cpus=None, cpuQuota=50000)),
        passes(container("pass_cpus_known_quota_unknown", cpus="0.5", cpuQuota=UNKNOWN)),
        fails(container("fail_none", cpus=None), MESSAGE),
        fails(container("fail_zero", cpus="0"), MESSAGE),
        fails(container("fail_shares_only", cpus=None, cpuShares=512), MESSAGE),
        fails(container("fail_cpuset_only", cpus=None, cpuSet="0-1"), MESSAGE),
        unknown(container("unknown_cpus", cpus=UNKNOWN), ".cpus"),
    ],
)
