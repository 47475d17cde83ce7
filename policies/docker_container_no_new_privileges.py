"""docker-container-no-new-privileges: Docker containers run with no-new-privileges.

With the flag set, no process in the container can gain privileges through setuid/setgid
binaries or file capabilities, which closes the usual path from a compromised service user to
root inside the container.

``securityOpts`` must turn it on. The Docker daemon reads every entry in order and the last
``no-new-privileges`` entry wins; it accepts ``no-new-privileges`` alone, or with a value
after ``=`` or the deprecated ``:``, parsed with Go's ``strconv.ParseBool``. So the last such
entry must be ``no-new-privileges`` or carry a true value (``true``, ``1``, ``t``, ``T``,
``TRUE``, ``True``). A daemon-wide default (``"no-new-privileges": true`` in daemon.json) is
outside the resource and does not count.

Unknown values are deferred: an unknown ``securityOpts`` or entry (it could be the deciding
``no-new-privileges`` entry) makes the SDK report the policy as not run during preview, and
``pulumi up`` checks the resolved values.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
OPTION = "no-new-privileges"
# The spellings Go's strconv.ParseBool reads as true.
TRUE_VALUES = ("1", "t", "T", "TRUE", "true", "True")


def _nnp_value(option: str) -> str | None:
    """The value of a no-new-privileges entry ("true" when bare); None for any other option."""
    if option == OPTION:
        return "true"
    # The daemon splits on "=" when the entry has one, else on ":".
    key, _, value = option.partition("=" if "=" in option else ":")
    return value if key == OPTION else None


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    last: str | None = None
    for option in args.props.get("securityOpts") or []:
        if isinstance(option, str) and _nnp_value(option) is not None:
            last = option
    if last is None:
        report_violation("`securityOpts` does not set no-new-privileges.", None)
        return
    value = _nnp_value(last)
    if value not in TRUE_VALUES:
        report_violation(f"`securityOpts` sets {last}, which is not true.", None)


docker_container_no_new_privileges = resource_rule(
    name="docker-container-no-new-privileges",
    rule_id="DKR-007",
    cis="5.25",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers run with no-new-privileges: `securityOpts` contains "
        "no-new-privileges, no-new-privileges:true or no-new-privileges=true."
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        'Add `"no-new-privileges=true"` to `securityOpts` (and remove any later '
        "no-new-privileges entry that sets it to false)."
    ),
    validate=_validate,
)
