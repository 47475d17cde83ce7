"""docker-container-healthcheck: every Docker container declares a health check.

Without one Docker reports a hung service as running, ``restart`` policies never fire for it
and dependants start against a dead backend. The check must be in the container's own
properties: a ``HEALTHCHECK`` in the image is not visible here, and a program should not
depend on one it does not declare.

``healthcheck.tests`` follows Docker's ``Healthcheck.Test``: ``["CMD", arg...]`` or
``["CMD-SHELL", command]``. A violation when ``healthcheck`` is missing, ``tests`` is missing
or empty (Docker then inherits the image's check, if any), ``tests`` starts with ``NONE``
(checks disabled), starts with anything but ``CMD``/``CMD-SHELL`` (the daemon runs no probe
for an unknown type; it only logs a warning), or has no command after ``CMD``/``CMD-SHELL``.
Messages never show the command: one such as ``redis-cli -a <password> ping`` holds a secret.

Unknown values: an unknown ``healthcheck``, ``tests`` or first element is deferred (the SDK
reports the policy as not run during preview; ``pulumi up`` checks the resolved values). The
command after the type is only counted, never read, so an unknown command passes.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
PROBE_TYPES = ("CMD", "CMD-SHELL")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    healthcheck = args.props.get("healthcheck")
    if healthcheck is None:
        report_violation("`healthcheck` is not set.", None)
        return
    tests = healthcheck.get("tests") or []
    if len(tests) == 0:
        report_violation("`healthcheck.tests` is empty.", None)
        return
    kind = tests[0]
    if kind == "NONE":
        report_violation("`healthcheck.tests` is NONE, which disables the health check.", None)
    elif kind not in PROBE_TYPES:
        # the element itself is not shown: a command such as `redis-cli -a <password>` can
        # hold a secret
        report_violation(
            "`healthcheck.tests` does not start with CMD or CMD-SHELL, so Docker runs no check.",
            None,
        )
    elif len(tests) < 2:
        report_violation(f"`healthcheck.tests` has no command after {kind}.", None)


docker_container_healthcheck = resource_rule(
    name="docker-container-healthcheck",
    rule_id="DKR-013",
    cis="5.26",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers declare a health check: `healthcheck.tests` runs a command with "
        "CMD or CMD-SHELL."
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation=(
        "Set `healthcheck` with `tests` such as "
        '`["CMD", "curl", "-fsS", "http://localhost:8080/health"]` or '
        '`["CMD-SHELL", "pg_isready -U app"]`, plus `interval`, `timeout` and `retries`.'
    ),
    validate=_validate,
)
