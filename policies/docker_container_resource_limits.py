"""docker-container-resource-limits: every Docker container has a memory and a process limit.

Without limits one runaway or compromised container (a memory leak, a fork bomb) takes the
whole host down with it. Two limits are required, and each missing one is its own violation:

* memory: ``memory`` (MB) set to a number above 0 (Docker treats 0 as "no limit");
* processes: pulumi-docker 5.2 has no pids-limit property (``--pids-limit``), so the stand-in
  is a ``ulimits`` entry named ``nproc`` with ``hard`` above 0; every ``nproc`` entry must
  have one (the provider keeps ulimits as a set, so their order, and which duplicate the
  runtime applies last, is not known). ``-1`` (unlimited) does not count.

The nproc ulimit is weaker than a pids cgroup limit: the kernel counts the processes of the
container's user ID across the whole host, and does not enforce it for root (UID 0 outside a
user namespace) or for processes with CAP_SYS_RESOURCE or CAP_SYS_ADMIN. It still caps a
non-root service, which is what the rule can ask for through this provider.

Unknown values are deferred: the SDK reports the policy as not run (advisory) during preview
and ``pulumi up`` checks the resolved values. ``memory`` is read first, so a missing memory
limit is still reported when a ulimit is unknown. An unknown ``hard`` is read only on an
``nproc`` entry: an unknown value on another ulimit defers nothing.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.readers import is_positive, number
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
PIDS_ULIMIT = "nproc"


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    memory = args.props.get("memory")
    if memory is None:
        report_violation("No memory limit: `memory` is not set.", None)
    elif not is_positive(memory):
        report_violation(f"No memory limit: `memory` is {number(memory)}.", None)

    found = False
    for ulimit in args.props.get("ulimits") or []:
        if ulimit.get("name") != PIDS_ULIMIT:
            continue
        found = True
        hard = ulimit.get("hard")
        if not is_positive(hard):
            shown = "not set" if hard is None else number(hard)
            report_violation(f"No process limit: the nproc ulimit's `hard` is {shown}.", None)
            return
    if not found:
        report_violation("No process limit: `ulimits` has no nproc entry.", None)


docker_container_resource_limits = resource_rule(
    name="docker-container-resource-limits",
    rule_id="DKR-011",
    cis="5.10, 5.28",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers set a memory limit (`memory` above 0) and a process limit (a "
        "`ulimits` entry named nproc with `hard` above 0, as this provider has no pids-limit "
        "property)."
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set `memory` to the container's limit in MB, and add "
        '`ulimits=[{"name": "nproc", "soft": N, "hard": N}]` with N above the process count '
        "the service needs: pulumi-docker has no pids-limit property, so the nproc ulimit "
        "stands in for `--pids-limit` (it counts the container user's processes and is not "
        "enforced for root, so run the service as a non-root `user`)."
    ),
    validate=_validate,
)
