"""docker-container-no-shared-mount-propagation: no bind mount propagates back to the host.

With ``shared`` or ``rshared`` propagation, a mount the container makes inside a bind mount
appears on the host too (and the other way): a container can then mount over host paths.
CIS Docker Benchmark 5.19 asks for neither. pulumi-docker sets it on a ``mounts[]`` entry as
``bindOptions.propagation`` (``private``, ``rprivate``, ``shared``, ``rshared``, ``slave``,
``rslave``; Docker's default is ``rprivate``); ``volumes[]`` entries cannot set it. Each
entry with ``shared`` or ``rshared`` (compared case-insensitively) is one violation.

Unknown values are deferred (the SDK reports the policy as not run, advisory, during preview;
``pulumi up`` checks the resolved values): an unknown ``mounts`` list, ``bindOptions`` or
``propagation``. Violations found before an unknown value are kept.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
SHARED = ("shared", "rshared")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for index, mount in enumerate(args.props.get("mounts") or []):
        propagation = (mount.get("bindOptions") or {}).get("propagation")
        if isinstance(propagation, str) and propagation.strip().lower() in SHARED:
            report_violation(
                f"mounts[{index}] ({mount.get('source')}) has propagation {propagation}.", None
            )


docker_container_no_shared_mount_propagation = resource_rule(
    name="docker-container-no-shared-mount-propagation",
    rule_id="DKR-019",
    cis="5.19",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers never bind-mount with shared or rshared propagation, which lets "
        "their mounts reach the host."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove `bindOptions.propagation` (Docker's default is rprivate) or set it to private, "
        "rprivate, slave or rslave."
    ),
    validate=_validate,
)
