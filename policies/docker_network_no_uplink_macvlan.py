"""docker-network-no-uplink-macvlan: no macvlan or ipvlan Docker network on the uplink.

A ``docker:index/network:Network`` with driver ``macvlan`` gives every container its own MAC
address on the parent interface (``options.parent``); on the uplink that is exactly what
providers such as Hetzner lock servers for. ``ipvlan`` shares the host's MAC, but in L2 mode
(the default) the host answers ARP/NDP on the uplink for every container address, and in L3
mode containers still send from addresses of their own; both put addresses on the uplink that
the provider did not route to the host. Both drivers are flagged, in every mode.

The parent is an uplink when it, or the interface of a VLAN sub-interface (``eth0.10`` ->
``eth0``), is in the policy config ``uplinkInterfaces`` (default ``["eth0", "eno1",
"enp0s31f6", "ens3", "vmbr0"]``). A macvlan/ipvlan network without a parent uses a dummy
interface and touches no wire: it passes. Other drivers (bridge, overlay, ...) pass.

Unknown values are deferred: an unknown driver, or an unknown ``options``/parent on a macvlan
or ipvlan network, makes the SDK report the policy as not run (advisory) during preview;
``pulumi up`` checks the resolved values. The options are read only for those two drivers.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_NETWORK

RESOURCE_TYPES = (DOCKER_NETWORK,)
DEFAULT_UPLINK_INTERFACES = ["eth0", "eno1", "enp0s31f6", "ens3", "vmbr0"]
EFFECTS = {
    "macvlan": "each container puts its own MAC address on the uplink",
    "ipvlan": "container addresses appear on the uplink that the provider does not route",
}


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    driver = args.props.get("driver")
    if driver not in EFFECTS:
        return
    config = args.get_config() or {}
    uplinks = {str(name) for name in config.get("uplinkInterfaces", DEFAULT_UPLINK_INTERFACES)}
    parent = (args.props.get("options") or {}).get("parent")
    if not parent:
        return
    parent = str(parent)
    if parent in uplinks or parent.split(".", 1)[0] in uplinks:
        report_violation(
            f"Network {args.name} ({driver}) has the uplink interface {parent} as parent: "
            f"{EFFECTS[driver]}.",
            None,
        )


docker_network_no_uplink_macvlan = resource_rule(
    name="docker-network-no-uplink-macvlan",
    rule_id="NET-001",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker macvlan and ipvlan networks never use an uplink interface as parent: the uplink "
        "shows only the host's own MAC and addresses."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Use a bridge network and publish ports through the host, or give the macvlan/ipvlan "
        "network a parent on a NAT bridge without physical ports (for example vmbr1)."
    ),
    config={"uplinkInterfaces": {"type": "array", "items": {"type": "string"}}},
    validate=_validate,
)
