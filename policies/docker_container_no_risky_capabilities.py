"""docker-container-no-risky-capabilities: no Docker container adds a host-level capability.

``capabilities.adds`` must not contain ``RISKY_CAPABILITIES``: ALL, SYS_ADMIN, NET_ADMIN,
SYS_PTRACE, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF, PERFMON, SYS_BOOT, MAC_ADMIN,
MAC_OVERRIDE. Names are compared case-insensitively, with or without the ``CAP_`` prefix
(Docker accepts both). One violation per risky capability, even when it is listed twice
(``SYS_ADMIN`` and ``cap_sys_admin``); ``capabilities.drops`` does not cancel an add.

Unknown values are deferred (the SDK reports the policy as not run, advisory, during preview;
``pulumi up`` checks the resolved values): an unknown ``capabilities``, ``adds`` or entry.
Violations found before an unknown entry are kept.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.readers import capability_name
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
RISKY_CAPABILITIES = (
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "SYS_BOOT",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    capabilities = args.props.get("capabilities") or {}
    reported: set[str] = set()
    for added in capabilities.get("adds") or []:
        if not isinstance(added, str):
            continue
        name = capability_name(added)
        if name not in RISKY_CAPABILITIES or name in reported:
            continue
        reported.add(name)
        shown = name if added == name else f"{added} ({name})"
        report_violation(f"`capabilities.adds` has {shown}.", None)


docker_container_no_risky_capabilities = resource_rule(
    name="docker-container-no-risky-capabilities",
    rule_id="DKR-005",
    cis="5.3",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers never add a capability that reaches the host: ALL, SYS_ADMIN, "
        "NET_ADMIN, SYS_PTRACE, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF, PERFMON, SYS_BOOT, "
        "MAC_ADMIN or MAC_OVERRIDE."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove the capability from `capabilities.adds`; add only narrow ones the service "
        "needs (for example NET_BIND_SERVICE or CHOWN), and run tasks that need host-level "
        "privileges on the host instead of in a container."
    ),
    validate=_validate,
)
