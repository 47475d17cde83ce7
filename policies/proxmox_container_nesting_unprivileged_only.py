"""proxmox-container-nesting-unprivileged-only: nesting only on unprivileged containers.

``features.nesting`` exposes ``/proc`` and ``/sys`` of the host more widely so that the guest
can run containers of its own; in a privileged container (root is the host's root) that makes
an escape to the host much easier. Proxmox itself recommends nesting only for unprivileged
containers. A container without ``unprivileged: true`` is privileged (the provider's default).

This rule is separate from ``proxmox-container-unprivileged`` so its message is specific: a
privileged container without nesting violates only that rule, a privileged one with nesting
violates both.

Unknown values: ``features`` and ``features.nesting`` are read first, and ``unprivileged``
only when nesting is on, so an unknown ``unprivileged`` on a container without nesting defers
nothing. An unknown that is read (``features``, ``nesting``, or ``unprivileged`` with nesting
on) is deferred: the SDK reports the policy as not run (advisory) during preview, and
``pulumi up`` checks the resolved values before the container is created.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import PROXMOX_CONTAINER

RESOURCE_TYPES = (PROXMOX_CONTAINER,)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    features = args.props.get("features") or {}
    if features.get("nesting") is not True:
        return
    unprivileged = args.props.get("unprivileged")
    if unprivileged is True:
        return
    state = "not set (privileged)" if unprivileged is None else "false"
    report_violation(f"`features.nesting` is true while `unprivileged` is {state}.", None)


proxmox_container_nesting_unprivileged_only = resource_rule(
    name="proxmox-container-nesting-unprivileged-only",
    rule_id="PVE-002",
    resource_types=RESOURCE_TYPES,
    description=(
        "Proxmox LXC containers enable nesting (`features.nesting`) only when they are "
        "unprivileged."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Make the container unprivileged (`unprivileged: true`; recreate or restore it with "
        "`pct restore --unprivileged 1`), or turn `features.nesting` off if the guest does not "
        "run containers or systemd services that need it."
    ),
    validate=_validate,
)
