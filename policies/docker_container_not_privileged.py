"""docker-container-not-privileged: no Docker container runs privileged.

A privileged container gets every capability, every host device and no seccomp, AppArmor or
SELinux confinement: root in it is root on the host. ``privileged: true`` is a violation;
missing or false passes. An unknown ``privileged`` is deferred: the SDK reports the policy as
not run (advisory) during preview, and ``pulumi up`` checks the resolved value before the
container is created (no safe answer exists without the value).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.props.get("privileged") is True:
        report_violation("`privileged` is true.", None)


docker_container_not_privileged = resource_rule(
    name="docker-container-not-privileged",
    rule_id="DKR-001",
    cis="5.4",
    resource_types=RESOURCE_TYPES,
    description="Docker containers never run privileged.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Remove `privileged` and grant only what the service needs: a single capability in "
        "`capabilities.adds` or a single device in `devices`."
    ),
    validate=_validate,
)
