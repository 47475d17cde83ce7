"""uplink-single-mac: the uplink shows one MAC address, the host's own.

Providers such as Hetzner lock a server whose uplink port shows more than one MAC. A guest
interface on a bridge with physical ports puts its own MAC on the wire; guests belong on a
bridge without ports, routed and masqueraded by the host.

Checked across the whole stack: a bridge is an uplink when it has physical ``ports`` or is
named in the policy config ``uplinkBridges`` (default ``["vmbr0"]``, the Proxmox install's
uplink, which programs rarely declare). An interface that names no bridge is on the provider's
default, ``vmbr0``. A guest interface on an uplink is a violation unless its MAC is in
``allowedMacs`` (for example a MAC the provider assigned to an additional IP).
A bridge with a private address (a NAT bridge) must have no physical ports. Unknown bridge
names or MACs are deferred: the SDK reports the policy as not run (advisory) during preview;
``pulumi up`` checks the resolved values.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs

from lib.ports import is_non_public
from lib.rule import stack_rule
from lib.types import PROXMOX_BRIDGES, PROXMOX_CONTAINER, PROXMOX_VM

# Guest types and the property listing their network interfaces.
GUEST_INTERFACES = {
    PROXMOX_CONTAINER: "networkInterfaces",
    PROXMOX_VM: "networkDevices",
}
RESOURCE_TYPES = (*PROXMOX_BRIDGES, *GUEST_INTERFACES)
DEFAULT_UPLINK_BRIDGES = ["vmbr0"]
# The bridge the provider attaches an interface to when it names none.
PROVIDER_DEFAULT_BRIDGE = "vmbr0"


def _is_private_interface(address: Any) -> bool:
    try:
        return is_non_public(ipaddress.ip_interface(str(address)).ip)
    except ValueError:
        return False


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config() or {}
    uplinks = set(config.get("uplinkBridges", DEFAULT_UPLINK_BRIDGES))
    allowed = {str(mac).lower() for mac in config.get("allowedMacs", [])}
    for resource in args.resources:
        if resource.resource_type not in PROXMOX_BRIDGES:
            continue
        name, ports = resource.props.get("name"), resource.props.get("ports") or []
        if ports:
            uplinks.add(name)
            if _is_private_interface(resource.props.get("address")):
                report_violation(
                    f"Bridge {name} routes the private network {resource.props.get('address')} "
                    f"but has physical ports {', '.join(ports)}; a NAT bridge has none.",
                    resource.urn,
                )
    for resource in args.resources:
        key = GUEST_INTERFACES.get(resource.resource_type)
        if key is None:
            continue
        for interface in resource.props.get(key) or []:
            bridge = interface.get("bridge") or PROVIDER_DEFAULT_BRIDGE
            if bridge not in uplinks:
                continue
            mac = interface.get("macAddress")
            if mac is not None and str(mac).lower() in allowed:
                continue
            shown = mac or "a generated MAC"
            report_violation(
                f"{resource.name} puts {shown} on the uplink bridge {bridge}; attach it to "
                "a NAT bridge without physical ports.",
                resource.urn,
            )


uplink_single_mac = stack_rule(
    name="uplink-single-mac",
    rule_id="NET-002",
    resource_types=RESOURCE_TYPES,
    description=(
        "Each uplink shows a single MAC address: no guest interface on a bridge with physical "
        "ports unless its MAC is allowed."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Attach guests to a bridge without physical ports (for example vmbr1, 10.0.0.1/24) "
        "and give them internet access with masquerade and port forwards on the host."
    ),
    config={
        "uplinkBridges": {"type": "array", "items": {"type": "string"}},
        "allowedMacs": {"type": "array", "items": {"type": "string"}},
    },
    validate=_validate,
)
