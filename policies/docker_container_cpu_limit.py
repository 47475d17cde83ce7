"""docker-container-cpu-limit: every Docker container has a CPU limit (advisory).

Without one, a busy or compromised container takes every core of the host from its
neighbours. CIS Docker Benchmark 5.11 asks for CPU priority to be set. The limit is one of:
``cpus`` (for example ``"1.5"``, a number above 0), or ``cpuQuota`` above 0 (microseconds per
``cpuPeriod``). ``cpuShares`` is a relative weight, not a limit, and does not count; neither
does ``cpuSet`` alone (pinning to cores still lets the container fill them).

Unknown values are deferred: the SDK reports the policy as not run (advisory) during preview
and ``pulumi up`` checks the resolved values. ``cpus`` is read first, so a container with a
known ``cpus`` limit passes whatever ``cpuQuota`` is.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.readers import is_positive
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)


def _cpus(value: Any) -> bool:
    try:
        return float(str(value)) > 0
    except ValueError:
        return False


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if _cpus(args.props.get("cpus")) or is_positive(args.props.get("cpuQuota")):
        return
    report_violation("No CPU limit: neither `cpus` nor `cpuQuota` is set above 0.", None)


docker_container_cpu_limit = resource_rule(
    name="docker-container-cpu-limit",
    rule_id="DKR-020",
    cis="5.11",
    resource_types=RESOURCE_TYPES,
    description="Docker containers set a CPU limit (`cpus` or `cpuQuota` above 0).",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation='Set `cpus` to the share of cores the service may use, for example "1.5".',
    validate=_validate,
)
