"""docker-container-no-unconfined-profile: no Docker container turns off its confinement.

``securityOpts`` must not contain ``seccomp=unconfined``, ``apparmor=unconfined`` or
``label=disable`` (SELinux), in either the ``=`` or the legacy ``:`` form. Entries are compared
case-insensitively with surrounding spaces ignored; a custom profile
(``seccomp=/path/profile.json``, ``apparmor=my-profile``) and other options
(``no-new-privileges:true``) pass. One violation per offending entry.

Unknown values are deferred (the SDK reports the policy as not run, advisory, during preview;
``pulumi up`` checks the resolved values): an unknown ``securityOpts`` or entry. Violations
found before an unknown entry are kept.
"""

from __future__ import annotations

import re

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
# (option, value) pairs that turn confinement off, and what they turn off.
UNCONFINING_OPTIONS = {
    ("seccomp", "unconfined"): "seccomp",
    ("apparmor", "unconfined"): "AppArmor",
    ("label", "disable"): "SELinux labeling",
}
_OPTION = re.compile(r"\s*([^=:]*?)\s*[=:]\s*(.*?)\s*")


def disabled_confinement(option: str) -> str | None:
    """What ``option`` turns off (``seccomp``, ``AppArmor``, ...), or None."""
    match = _OPTION.fullmatch(option)
    if match is None:
        return None
    return UNCONFINING_OPTIONS.get((match[1].lower(), match[2].lower()))


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for option in args.props.get("securityOpts") or []:
        if not isinstance(option, str):
            continue
        disabled = disabled_confinement(option)
        if disabled is not None:
            report_violation(f"`securityOpts` has {option}, which disables {disabled}.", None)


docker_container_no_unconfined_profile = resource_rule(
    name="docker-container-no-unconfined-profile",
    rule_id="DKR-006",
    cis="5.1, 5.2, 5.21",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers keep their seccomp, AppArmor and SELinux confinement: no "
        "`securityOpts` entry disables it."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove the option. If the default profile blocks a call the service needs, give it a "
        "custom seccomp or AppArmor profile that allows just that call."
    ),
    validate=_validate,
)
