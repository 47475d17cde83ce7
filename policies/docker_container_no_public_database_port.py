"""docker-container-no-public-database-port: no database port published on a public address.

A port counts as public when its ``ip`` is missing, ``0.0.0.0``, ``::`` or a public address:
Docker then binds every interface and, through its own iptables rules, bypasses host
firewalls. Bindings to loopback or private addresses are allowed. Both the container port
(``internal``) and the host port (``external``) are checked. Unknown values are deferred: the
SDK reports the policy as not run (advisory) during preview; ``pulumi up`` checks the resolved
values before the container is created.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from catalog import DATABASE_PORTS
from published_ports import public_publications

CONTAINER_TYPE = "docker:index/container:Container"
RESOURCE_TYPES = (CONTAINER_TYPE,)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CONTAINER_TYPE:
        return
    for detail in public_publications(args.props.get("ports"), DATABASE_PORTS):
        report_violation(detail, None)


docker_container_no_public_database_port = ResourceValidationPolicy(
    name="docker-container-no-public-database-port",
    description="Docker containers never publish a database port on a public address.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps=(
        "Drop the published port and reach the database over a Docker network, or bind it "
        "to 127.0.0.1 or a private address with `ip`."
    ),
    validate=_validate,
)
