"""docker-container-capabilities-dropped: containers drop every capability they do not need.

Docker gives a container 14 capabilities by default (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID,
...), most of which a service never uses; CIS Docker Benchmark 5.3 asks to keep only the
needed ones. The rule asks for ``capabilities.drops`` to contain ``ALL`` (case-insensitive,
with or without ``CAP_``), with what the image needs added back in ``capabilities.adds``:
Docker applies the drops first, so that is exactly "only what is added". Advisory: which
capabilities an image needs is known only by running it.

Unknown values are deferred: the SDK reports the policy as not run (advisory) during preview
and ``pulumi up`` checks the resolved values (an unknown ``capabilities`` or ``drops``).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.readers import capability_name
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    capabilities = args.props.get("capabilities") or {}
    drops = capabilities.get("drops") or []
    if any(isinstance(d, str) and capability_name(d) == "ALL" for d in drops):
        return
    report_violation(
        "`capabilities.drops` does not drop ALL: the container keeps Docker's default "
        "capabilities.",
        None,
    )


docker_container_capabilities_dropped = resource_rule(
    name="docker-container-capabilities-dropped",
    rule_id="DKR-021",
    cis="5.3",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers drop all capabilities (`capabilities.drops` has ALL) and add back "
        "only what the image needs."
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation=(
        'Set `capabilities={"drops": ["ALL"], "adds": [...]}` with the capabilities the '
        "service needs (often none, or NET_BIND_SERVICE, CHOWN, SETUID, SETGID)."
    ),
    validate=_validate,
)
