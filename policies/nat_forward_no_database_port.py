"""nat-forward-no-database-port: no DNAT forward sends a database port to a guest.

Reads pulumi-command resources (remote and local): the text of ``create``, ``update`` and
``stdin``, where a program loads an nftables ruleset or runs iptables. Unknown values (text
computed from outputs not known at preview) are deferred: the SDK reports the policy as not
run (advisory) during preview, and ``pulumi up`` checks the resolved text before running it.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from catalog import database_ports_in
from nat_rules import dnat_forwards

COMMAND_TYPES = ("command:remote:Command", "command:local:Command")
SCANNED_PROPERTIES = ("create", "update", "stdin")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in COMMAND_TYPES:
        return
    for prop in SCANNED_PROPERTIES:
        text = args.props.get(prop)
        if not isinstance(text, str):
            continue
        for forward in dnat_forwards(text):
            for port, service in database_ports_in(forward.start, forward.end):
                report_violation(
                    f"`{prop}` forwards {forward} which includes {forward.protocol} {port} "
                    f"({service}).",
                    None,
                )


nat_forward_no_database_port = ResourceValidationPolicy(
    name="nat-forward-no-database-port",
    description=(
        "Port forwards (DNAT rules) never send a database port from the public address to a guest."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps=(
        "Remove the forward and keep the database on the private network; reach it from "
        "application guests, or over SSH or a VPN for administration."
    ),
    validate=_validate,
)
