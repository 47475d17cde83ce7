"""docker-container-port-explicit-address: every published port binds one chosen address.

The provider's Check fills a missing ``ip`` with ``0.0.0.0`` before the engine sends the
inputs to analyzers (``components/plan/provider_defaults.py`` cites the schema), so "no
``ip``" and "``0.0.0.0``" are the same thing here: every address of the host, and Docker's own
iptables rules bypass host firewalls. A ``ports[]`` entry on ``0.0.0.0``, ``::``, or with no or
an empty ``ip`` is a violation; bind it to 127.0.0.1 for a service behind the local proxy, a
private address, or the one public address that must serve it. ``publishAllPorts: true``
publishes every exposed port of the image on every address, on random host ports, and is a
violation too. A port that must listen on every address (a media server on a host with several
public addresses) is a declared exception: the label
``selfhosted.policy.except.docker-container-port-explicit-address`` with the reason.

Unknown values are deferred: an unknown ``ports``, entry, ``ip`` or ``publishAllPorts`` makes
the SDK report the policy as not run (advisory) during preview, and ``pulumi up`` checks the
resolved values. The message names the port, so an unknown port number or protocol on an
entry bound to every address defers too. Violations found before an unknown value are kept.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.readers import number
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
EVERY_ADDRESS = ("0.0.0.0", "::", "")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for port in args.props.get("ports") or []:
        ip = port.get("ip") or ""
        if ip not in EVERY_ADDRESS:
            continue
        internal, external = number(port.get("internal")), number(port.get("external"))
        protocol = port.get("protocol") or "tcp"
        host = f"as host port {external}" if external else "on a random host port"
        report_violation(
            f"Container port {internal}/{protocol} is published {host} on every address "
            f"({ip or 'no ip, which the provider fills with 0.0.0.0'}).",
            None,
        )
    if args.props.get("publishAllPorts") is True:
        report_violation("`publishAllPorts` is true.", None)


docker_container_port_explicit_address = resource_rule(
    name="docker-container-port-explicit-address",
    rule_id="DKR-010",
    cis="5.13",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers publish each port on one chosen address, never on every address "
        "(0.0.0.0, ::, or no `ip`), and never use `publishAllPorts`."
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set `ip` on every entry of `ports`: 127.0.0.1 for a service behind the local reverse "
        "proxy, a private address, or the public address that must serve it. List the ports "
        "instead of setting `publishAllPorts`."
    ),
    validate=_validate,
)
