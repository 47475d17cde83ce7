"""digitalocean-database-restricted: managed databases are not open to the whole internet.

Checked across the stack (it needs the database firewalls):
- a ``digitalocean:index/databaseCluster:DatabaseCluster`` passes when it sets
  ``privateNetworkUuid`` (it is placed in the named VPC) or when a
  ``digitalocean:index/databaseFirewall:DatabaseFirewall`` of the stack with at least one rule
  (trusted source) names it in ``clusterId``;
- a ``DatabaseFirewall`` must not trust ``ip_addr`` sources that together cover a whole address
  family (``0.0.0.0/0``, ``::/0``, or splits such as ``0.0.0.0/1`` + ``128.0.0.0/1``, by the
  pack's one function ``lib.networks.covers_anywhere``): that restores the open default. Such a
  firewall is reported itself; the cluster it names counts as covered, so it is not reported
  twice.

Caveat, as the issue specifies: a VPC gives the cluster a private hostname, but DigitalOcean
keeps the public endpoint reachable until trusted sources restrict it. The VPC condition is
kept as specified; trusted sources are the stronger control and the remediation says so.

References: ``clusterId`` is the cluster's id, unknown during preview while the cluster is not
created; the engine also sends the firewall's ``clusterId`` dependencies, which name the
cluster whether or not its id is known.

Unknown values: a firewall whose ``clusterId`` depends on the cluster covers it; otherwise a
known ``clusterId`` is compared with the cluster's ``id`` output (a cluster whose id is still
unknown cannot be named by a literal). An unknown ``clusterId`` that depends on other
resources is not this cluster's. An unknown ``privateNetworkUuid`` is the id of a VPC created
in the same update: it counts as set, without deferring. Questions still open because of an
unknown value (an unknown ``clusterId`` with no recorded dependency, unknown rules, an unknown
rule type or ``ip_addr`` value) are deferred: the SDK reports the policy as not run (advisory)
during preview, and ``pulumi up`` checks the resolved values.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

from lib.networks import covers_anywhere, network
from lib.rule import stack_rule
from lib.types import DO_DATABASE_CLUSTER, DO_DATABASE_FIREWALL

RESOURCE_TYPES = (DO_DATABASE_CLUSTER, DO_DATABASE_FIREWALL)


def _id(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _in_vpc(cluster: PolicyResource) -> bool:
    try:
        return bool(cluster.props.get("privateNetworkUuid"))
    except UnknownValueError:
        return True  # the id of a VPC created in the same update


def _names(firewall: PolicyResource, cluster: PolicyResource) -> bool:
    """Whether ``firewall.clusterId`` is ``cluster``'s id (see the module doc for unknowns)."""
    dependencies = {d.urn for d in firewall.property_dependencies.get("clusterId", [])}
    if cluster.urn in dependencies:
        return True
    try:
        cluster_id = firewall.props.get("clusterId")
    except UnknownValueError:
        if dependencies:
            return False  # computed from other resources' outputs, not this cluster's id
        raise
    try:
        own_id = cluster.props.get("id")
    except UnknownValueError:
        return False  # the cluster is not created yet: no known id can name it
    return own_id not in (None, "") and _id(cluster_id) == _id(own_id)


def _guarded(cluster: PolicyResource, firewalls: list[PolicyResource]) -> bool:
    """Whether a firewall with rules names ``cluster``; defers only if no other one does."""
    pending: UnknownValueError | None = None
    for firewall in firewalls:
        try:
            if _names(firewall, cluster) and len(firewall.props.get("rules") or []) > 0:
                return True
        except UnknownValueError as error:
            pending = pending or error
    if pending is not None:
        raise pending
    return False


def _open_sources(firewall: PolicyResource) -> list[str]:
    """The firewall's ``ip_addr`` sources when together they cover a whole address family
    (``lib.networks.covers_anywhere``: ``0.0.0.0/0``, or ``0.0.0.0/1`` + ``128.0.0.0/1``)."""
    sources = [
        str(rule.get("value"))
        for rule in firewall.props.get("rules") or []
        if rule.get("type") == "ip_addr"
    ]
    if not covers_anywhere(sources):
        return []
    whole = [s for s in sources if (n := network(s)) is not None and n.prefixlen == 0]
    return whole or [s for s in sources if network(s) is not None]


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    firewalls = [r for r in args.resources if r.resource_type == DO_DATABASE_FIREWALL]
    for resource in args.resources:
        if resource.resource_type == DO_DATABASE_FIREWALL and (sources := _open_sources(resource)):
            report_violation(
                f"Database firewall {resource.name} trusts {', '.join(sources)}, the whole "
                "internet.",
                resource.urn,
            )
        elif (
            resource.resource_type == DO_DATABASE_CLUSTER
            and not _in_vpc(resource)
            and not _guarded(resource, firewalls)
        ):
            report_violation(
                f"Database cluster {resource.name} sets no privateNetworkUuid and no "
                "DatabaseFirewall of the stack gives it trusted sources.",
                resource.urn,
            )


digitalocean_database_restricted = stack_rule(
    name="digitalocean-database-restricted",
    rule_id="CLD-003",
    resource_types=RESOURCE_TYPES,
    description=(
        "DigitalOcean database clusters are not open to the whole internet: they are placed "
        "in a VPC or have a database firewall with trusted sources."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Add a `digitalocean.DatabaseFirewall` with `cluster_id=cluster.id` and rules for the "
        "droplets, tags or addresses that need the database (never 0.0.0.0/0), and set "
        "`private_network_uuid` to the application's VPC."
    ),
    validate=_validate,
)
