"""proxmox-container-unprivileged: every Proxmox LXC container is unprivileged.

In a privileged container root is the host's root (uid 0 is not mapped), so an escape through
the kernel, a device or ``/proc`` is an escape to the host. The provider's default is
privileged: a container without ``unprivileged: true`` (false or not set) is a violation.

Unknown values: an unknown ``unprivileged`` is deferred (the SDK reports the policy as not run,
as an advisory, during preview; ``pulumi up`` checks the resolved value before the container is
created). No other property is read.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import PROXMOX_CONTAINER

RESOURCE_TYPES = (PROXMOX_CONTAINER,)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    unprivileged = args.props.get("unprivileged")
    if unprivileged is True:
        return
    if unprivileged is None:
        detail = "`unprivileged` is not set; the provider then creates a privileged container."
    elif unprivileged is False:
        detail = "`unprivileged` is false."
    else:
        detail = f"`unprivileged` is {unprivileged!r}, not true."
    report_violation(detail, None)


proxmox_container_unprivileged = resource_rule(
    name="proxmox-container-unprivileged",
    rule_id="PVE-001",
    resource_types=RESOURCE_TYPES,
    description="Proxmox LXC containers are unprivileged (`unprivileged: true`).",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Set `unprivileged: true`. Proxmox cannot convert an existing container: back it up "
        "and restore it as unprivileged (`pct restore --unprivileged 1`), or recreate it, and "
        "fix ownership of bind-mounted host paths for the shifted uids (100000+)."
    ),
    validate=_validate,
)
