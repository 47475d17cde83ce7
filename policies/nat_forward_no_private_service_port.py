"""nat-forward-no-private-service-port: no DNAT forward sends a database or admin port to a guest.

Private services are the databases of ``catalog.DATABASE_PORTS`` and the management and admin
interfaces of ``catalog.ADMIN_PORTS`` (Proxmox, Portainer, the Docker API, Grafana, ...): they
are reached from application guests, through the authenticating proxy, or over SSH or a VPN,
never through a public port forward.

Reads pulumi-command resources (remote and local): the text of ``create``, ``update`` and
``stdin``, where a program loads an nftables ruleset or runs iptables. A rule that rewrites the
port counts for both its public and its target port. Unknown values (text computed from
outputs not known at preview) are deferred: the SDK reports the policy as not run (advisory)
during preview, and ``pulumi up`` checks the resolved text before running it.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.nat_rules import dnat_forwards
from lib.ports import admin_ports_in, database_ports_in
from lib.rule import resource_rule
from lib.types import COMMANDS

RESOURCE_TYPES = COMMANDS
SCANNED_PROPERTIES = ("create", "update", "stdin")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for prop in SCANNED_PROPERTIES:
        text = args.props.get(prop)
        if not isinstance(text, str):
            continue
        for forward in dnat_forwards(text):
            services = database_ports_in(forward.protocol, forward.start, forward.end)
            services += admin_ports_in(forward.protocol, forward.start, forward.end)
            for port, service in sorted(services):
                report_violation(
                    f"`{prop}` forwards {forward} which includes {forward.protocol} {port} "
                    f"({service}).",
                    None,
                )


nat_forward_no_private_service_port = resource_rule(
    name="nat-forward-no-private-service-port",
    rule_id="NET-003",
    resource_types=RESOURCE_TYPES,
    description=(
        "Port forwards (DNAT rules) never send a database or admin port from the public "
        "address to a guest."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Remove the forward and keep the service on the private network: reach databases from "
        "application guests, and admin interfaces through the authenticating proxy, over SSH "
        "or over a VPN."
    ),
    validate=_validate,
)
