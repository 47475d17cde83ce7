"""docker-container-restart-policy: Docker containers come back after a crash or a reboot.

``restart`` must be ``always``, ``unless-stopped`` or ``on-failure``. Missing is a violation:
the provider's default is ``no``, so a crashed service, or every service after a host reboot,
stays down until someone notices. ``no`` (and any other value) is a violation too.

An unknown ``restart`` is deferred: the SDK reports the policy as not run (advisory) during
preview, and ``pulumi up`` checks the resolved value (no safe answer exists without it).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
RESTARTING_POLICIES = ("always", "unless-stopped", "on-failure")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    restart = args.props.get("restart")
    if restart in RESTARTING_POLICIES:
        return
    if restart is None:  # the provider's Check fills "no"; only a hand-made input lacks it
        report_violation("`restart` is not set, so the provider's default no applies.", None)
    else:
        report_violation(f"`restart` is {restart!r}.", None)


docker_container_restart_policy = resource_rule(
    name="docker-container-restart-policy",
    rule_id="DKR-012",
    cis="5.14",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers restart on their own: `restart` is always, unless-stopped or on-failure."
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation=(
        'Set `restart="unless-stopped"` (or "always", or "on-failure" with '
        "`max_retry_count` for a job that should give up)."
    ),
    validate=_validate,
)
