"""docker-container-port-explicit-address: every published port names its address.

Docker publishes a port without ``ip`` on every address of the host, and its own iptables
rules bypass host firewalls. Each ``ports[]`` entry needs a non-empty ``ip``: ``0.0.0.0`` (or
``::``) counts as explicit, a deliberate choice to face the internet, while a missing or empty
``ip`` does not. ``publishAllPorts: true`` publishes every exposed port of the image on every
address, on random host ports, and is a violation too.

Unknown values are deferred: an unknown ``ports``, entry, ``ip`` or ``publishAllPorts`` makes
the SDK report the policy as not run (advisory) during preview, and ``pulumi up`` checks the
resolved values. The message names the port, so an unknown port number or protocol on an
entry without ``ip`` defers too. Violations found before an unknown value are kept.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from lib.readers import number as port_number
from lib.rule import resource_rule

CONTAINER_TYPE = "docker:index/container:Container"
RESOURCE_TYPES = (CONTAINER_TYPE,)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for port in args.props.get("ports") or []:
        if port.get("ip"):
            continue
        internal, external = port_number(port.get("internal")), port_number(port.get("external"))
        protocol = port.get("protocol") or "tcp"
        host = f"as host port {external}" if external else "on a random host port"
        report_violation(
            f"Container port {internal}/{protocol} is published {host} without an `ip`.", None
        )
    if args.props.get("publishAllPorts") is True:
        report_violation("`publishAllPorts` is true.", None)


docker_container_port_explicit_address = resource_rule(
    name="docker-container-port-explicit-address",
    rule_id="DKR-010",
    cis="5.13",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers publish each port on an explicit address (`ip`) and never use "
        "`publishAllPorts`."
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set `ip` on every entry of `ports`: 127.0.0.1 for a service behind the local reverse "
        "proxy, a private address, or 0.0.0.0 where the port must face the internet. List the "
        "ports instead of setting `publishAllPorts`."
    ),
    validate=_validate,
)
