"""uplink-single-mac (a stack policy): whole stacks of Proxmox bridges and guests, with the
default, a stack's own and the shipped config."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from components.plan.policy_runner import load_policy_config
from components.plan.recording import UNKNOWN

from ..conftest import PACK_DIR, resource
from ..conftest import container as docker_container
from ..harness import RuleCases, policy_of, stack_fails, stack_passes, stack_unknown

POLICY = policy_of(__name__)
BRIDGE = "proxmoxve:network/linux/bridge:Bridge"
BRIDGE_LEGACY = "proxmoxve:network/linux/bridgeLegacy:BridgeLegacy"
CONTAINER = "proxmoxve:index/containerLegacy:ContainerLegacy"
VM_LEGACY = "proxmoxve:index/vmLegacy:VmLegacy"
MAC = "BC:24:11:AA:BB:01"
SHIPPED_FILE = PACK_DIR / "policy-config.json"


def engine_config(**config: Any) -> dict[str, Any]:
    """Policy config as the engine sends it: always with the policy's enforcement level."""
    return {"enforcementLevel": "mandatory", **config}


def bridge(name: str, bridge_name: str, ports: Sequence[str] = (), **props: Any) -> Any:
    return resource(
        BRIDGE,
        name,
        {
            "nodeName": "ax102",
            "name": bridge_name,
            "ports": list(ports),
            "autostart": True,
            **props,
        },
    )


def container(name: str, *interfaces: dict[str, Any]) -> Any:
    return resource(
        CONTAINER,
        name,
        {
            "nodeName": "ax102",
            "unprivileged": True,
            "networkInterfaces": [{"name": f"eth{i}", **nic} for i, nic in enumerate(interfaces)],
        },
    )


def vm_legacy(name: str, *devices: dict[str, Any]) -> Any:
    return resource(
        VM_LEGACY,
        name,
        {"nodeName": "ax102", "networkDevices": [{"model": "virtio", **d} for d in devices]},
    )


def on_uplink(name: str, shown: str, on: str) -> tuple[str, str]:
    return (
        name,
        f"{name} puts {shown} on the uplink bridge {on}; attach it to a NAT bridge without "
        "physical ports.",
    )


def private_with_ports(resource_name: str, name: str, address: str, ports: str) -> tuple[str, str]:
    return (
        resource_name,
        f"Bridge {name} routes the private network {address} but has physical ports {ports}; a "
        "NAT bridge has none.",
    )


NAT_BRIDGE = bridge("nat-bridge", "vmbr1", address="10.0.0.1/24")
BASELINE = [
    NAT_BRIDGE,
    container("proxy", {"bridge": "vmbr1"}),
    container("livekit", {"bridge": "vmbr1", "macAddress": MAC}),
    vm_legacy("egress", {"bridge": "vmbr1"}),
]
WEB_ON_VMBR0 = container("web", {"bridge": "vmbr0"})


def with_baseline(name: str, *extra: Any) -> tuple[str, list[Any]]:
    return name, [*BASELINE, *extra]


# The compliant baseline with guests and bridges added; the whole pack's diagnostics are these.
VIOLATION_KINDS = [
    stack_passes(*with_baseline("pass_baseline")),
    stack_passes(
        *with_baseline(
            "pass_baseline_with_declared_uplink",
            bridge("uplink", "vmbr0", ["enp0s31f6"], address="95.216.10.20/26"),
        )
    ),
    stack_fails(
        *with_baseline("fail_container_on_default_uplink", WEB_ON_VMBR0),
        on_uplink("web", "a generated MAC", "vmbr0"),
    ),
    stack_fails(
        *with_baseline(
            "fail_container_with_mac_on_default_uplink",
            container("web", {"bridge": "vmbr0", "macAddress": MAC}),
        ),
        on_uplink("web", MAC, "vmbr0"),
    ),
    stack_fails(
        *with_baseline("fail_no_bridge_is_the_provider_default_vmbr0", container("web", {})),
        on_uplink("web", "a generated MAC", "vmbr0"),
    ),
    stack_fails(
        *with_baseline(
            "fail_second_interface_on_uplink",
            container("web", {"bridge": "vmbr1"}, {"bridge": "vmbr0"}),
        ),
        on_uplink("web", "a generated MAC", "vmbr0"),
    ),
    stack_fails(
        *with_baseline(
            "fail_declared_bridge_with_ports",
            bridge("wan", "vmbr2", ["eno1"]),
            container("web", {"bridge": "vmbr2", "macAddress": MAC}),
        ),
        on_uplink("web", MAC, "vmbr2"),
    ),
    stack_fails(
        *with_baseline(
            "fail_declared_legacy_bridge_with_ports",
            resource(BRIDGE_LEGACY, "wan", {"name": "vmbr3", "ports": ["eno2"]}),
            container("web", {"bridge": "vmbr3"}),
        ),
        on_uplink("web", "a generated MAC", "vmbr3"),
    ),
    stack_fails(
        *with_baseline("fail_vm_legacy_network_device", vm_legacy("vm", {"bridge": "vmbr0"})),
        on_uplink("vm", "a generated MAC", "vmbr0"),
    ),
    stack_fails(
        *with_baseline("fail_vm_legacy_default_bridge", vm_legacy("vm", {})),
        on_uplink("vm", "a generated MAC", "vmbr0"),
    ),
    stack_fails(
        *with_baseline(
            "fail_private_bridge_with_ports",
            bridge("nat2", "vmbr4", ["eno1"], address="10.0.1.1/24"),
        ),
        private_with_ports("nat2", "vmbr4", "10.0.1.1/24", "eno1"),
    ),
    stack_fails(
        *with_baseline(
            "fail_private_bridge_with_ports_and_guest",
            bridge("nat2", "vmbr4", ["eno1", "eno2"], address="192.168.5.1/24"),
            container("web", {"bridge": "vmbr4"}),
        ),
        private_with_ports("nat2", "vmbr4", "192.168.5.1/24", "eno1, eno2"),
        on_uplink("web", "a generated MAC", "vmbr4"),
    ),
    # Each violation names the resource in violation.
    stack_fails(
        *with_baseline(
            "fail_violations_carry_the_offending_resource",
            bridge("nat2", "vmbr4", ["eno1"], address="10.0.1.1/24"),
            WEB_ON_VMBR0,
        ),
        private_with_ports("nat2", "vmbr4", "10.0.1.1/24", "eno1"),
        on_uplink("web", "a generated MAC", "vmbr0"),
    ),
    # Without config, vmbr0 is the uplink and br-wan is not (see the own-uplinks variant).
    stack_fails(
        *with_baseline(
            "fail_default_uplink_bridges",
            container("on_vmbr0", {"bridge": "vmbr0"}),
            container("on_wan", {"bridge": "br-wan"}),
        ),
        on_uplink("on_vmbr0", "a generated MAC", "vmbr0"),
    ),
    stack_unknown(
        *with_baseline(
            "unknown_value_is_a_stack_wide_advisory", container("web", {"bridge": UNKNOWN})
        ),
        ".networkInterfaces.0.bridge",
    ),
    # The SDK keeps what was reported before the unknown value; later resources go unchecked.
    stack_unknown(
        *with_baseline(
            "unknown_value_stops_the_stack_check_where_it_is_met",
            container("before", {"bridge": "vmbr0"}),
            container("unknown", {"bridge": UNKNOWN}),
            container("after", {"bridge": "vmbr0"}),
        ),
        ".networkInterfaces.0.bridge",
        on_uplink("before", "a generated MAC", "vmbr0"),
    ),
]

# One stack each, on top of the compliant baseline: a stack-policy advisory names no resource,
# so each unknown_* stack is analyzed on its own.
FIXTURE_STACKS = [
    stack_passes(*with_baseline("pass_guest_on_nat_bridge", container("g", {"bridge": "vmbr1"}))),
    stack_passes(
        *with_baseline(
            "pass_guest_unknown_mac_on_nat_bridge",
            container("g", {"bridge": "vmbr1", "macAddress": UNKNOWN}),
        )
    ),
    stack_passes(
        *with_baseline(
            "pass_vm_on_nat_bridge", vm_legacy("g", {"bridge": "vmbr1", "macAddress": MAC})
        )
    ),
    stack_passes(
        *with_baseline(
            "pass_public_bridge_with_ports",
            bridge("wan", "vmbr0", ["eno1"], address="95.216.10.20/26"),
        )
    ),
    stack_passes(
        *with_baseline(
            "pass_private_bridge_without_ports", bridge("nat2", "vmbr5", address="172.16.0.1/24")
        )
    ),
    stack_passes(
        *with_baseline("pass_bridge_with_ports_no_guests", bridge("wan", "vmbr2", ["eno1"]))
    ),
    stack_passes(
        *with_baseline(
            "pass_guest_no_interfaces",
            resource(CONTAINER, "g", {"nodeName": "ax102", "unprivileged": True}),
        )
    ),
    stack_passes(
        *with_baseline(
            "pass_other_types_ignored",
            # A Docker container every Docker policy accepts, with a Proxmox-looking property.
            docker_container(
                "g", image="nginx:1.27.2", volumes=None, networkInterfaces=[{"bridge": "vmbr0"}]
            ),
            resource(
                "proxmoxve:network/linux/vlan:Vlan",
                "g2",
                {"name": "vmbr0.10", "interface": "vmbr0"},
            ),
        )
    ),
    stack_fails(
        *with_baseline("fail_container_on_vmbr0", container("g", {"bridge": "vmbr0"})),
        on_uplink("g", "a generated MAC", "vmbr0"),
    ),
    stack_fails(
        *with_baseline("fail_vm_on_vmbr0", vm_legacy("g", {"bridge": "vmbr0", "macAddress": MAC})),
        on_uplink("g", MAC, "vmbr0"),
    ),
    stack_fails(
        *with_baseline(
            "fail_guest_on_bridge_with_ports",
            bridge("wan", "vmbr2", ["eno1"]),
            container("g", {"bridge": "vmbr2"}),
        ),
        on_uplink("g", "a generated MAC", "vmbr2"),
    ),
    stack_fails(
        *with_baseline(
            "fail_small_private_bridge_with_ports",
            bridge("nat2", "vmbr5", ["eno1"], address="10.9.0.1/24"),
        ),
        private_with_ports("nat2", "vmbr5", "10.9.0.1/24", "eno1"),
    ),
    stack_unknown(
        *with_baseline("unknown_guest_bridge", container("g", {"bridge": UNKNOWN})),
        ".networkInterfaces.0.bridge",
    ),
    stack_unknown(
        *with_baseline(
            "unknown_mac_on_uplink", container("g", {"bridge": "vmbr0", "macAddress": UNKNOWN})
        ),
        ".networkInterfaces.0.macAddress",
    ),
    stack_unknown(
        *with_baseline(
            "unknown_interfaces",
            resource(CONTAINER, "g", {"unprivileged": True, "networkInterfaces": UNKNOWN}),
        ),
        ".networkInterfaces",
    ),
    stack_unknown(
        *with_baseline(
            "unknown_bridge_ports", resource(BRIDGE, "wan", {"name": "vmbr2", "ports": UNKNOWN})
        ),
        ".ports",
    ),
    stack_unknown(
        *with_baseline(
            "unknown_bridge_address",
            resource(BRIDGE, "nat2", {"name": "vmbr5", "ports": ["eno1"], "address": UNKNOWN}),
        ),
        ".address",
    ),
]

DEFAULTS = RuleCases(stacks=[*VIOLATION_KINDS, *FIXTURE_STACKS])

ALLOWED_MACS = RuleCases(
    variant="allowed-macs",
    config=engine_config(allowedMacs=["00:50:56:00:Ab:Cd"]),
    stacks=[
        # An allowed MAC passes, compared case-insensitively; other MACs do not.
        stack_fails(
            *with_baseline(
                "fail_allowed_mac_passes_case_insensitively",
                container("upper", {"bridge": "vmbr0", "macAddress": "00:50:56:00:AB:CD"}),
                container("lower", {"bridge": "vmbr0", "macAddress": "00:50:56:00:ab:cd"}),
                container("other", {"bridge": "vmbr0", "macAddress": "00:50:56:00:AB:CE"}),
                container("generated", {"bridge": "vmbr0"}),
            ),
            on_uplink("other", "00:50:56:00:AB:CE", "vmbr0"),
            on_uplink("generated", "a generated MAC", "vmbr0"),
        )
    ],
)

OWN_UPLINKS = RuleCases(
    variant="own-uplinks",
    config=engine_config(uplinkBridges=["br-wan"]),
    stacks=[
        # Configured uplink bridges replace the default vmbr0.
        stack_fails(
            *with_baseline(
                "fail_configured_uplink_bridges_replace_the_default",
                container("on_vmbr0", {"bridge": "vmbr0"}),
                container("on_wan", {"bridge": "br-wan"}),
            ),
            on_uplink("on_wan", "a generated MAC", "br-wan"),
        )
    ],
)

NO_UPLINKS = RuleCases(
    variant="no-uplinks",
    config=engine_config(uplinkBridges=[]),
    stacks=[
        stack_passes(*with_baseline("pass_vmbr0_not_an_uplink_without_ports", WEB_ON_VMBR0)),
        # A bridge with physical ports is an uplink whatever the config.
        stack_fails(
            *with_baseline(
                "fail_bridge_with_ports_is_an_uplink_whatever_the_config",
                bridge("wan", "vmbr0", ["eno1"], address="95.216.10.20/26"),
                WEB_ON_VMBR0,
            ),
            on_uplink("web", "a generated MAC", "vmbr0"),
        ),
    ],
)

TOGETHER = RuleCases(
    variant="together",
    config=engine_config(uplinkBridges=["vmbr0"], allowedMacs=["00:50:56:00:ab:cd"]),
    stacks=[
        # The known pass_/fail_ fixtures in one stack: exactly the fail_ resources violate.
        stack_fails(
            *with_baseline(
                "fail_fixture_resources_analyzed_together",
                bridge("pass_wan", "vmbr0", ["eno1"], address="95.216.10.20/26"),
                bridge("pass_nat2", "vmbr5", address="172.16.0.1/24"),
                bridge("pass_trunk", "vmbr2", ["eno2"]),
                container("pass_ct", {"bridge": "vmbr1"}, {"bridge": "vmbr5"}),
                vm_legacy("pass_vm", {"bridge": "vmbr5", "macAddress": MAC}),
                container("pass_allowed", {"bridge": "vmbr0", "macAddress": "00:50:56:00:AB:CD"}),
                container("fail_ct", {"bridge": "vmbr1"}, {"bridge": "vmbr0"}),
                container("fail_ct_default", {}),
                vm_legacy("fail_vm", {"bridge": "vmbr2"}),
                bridge("fail_nat_with_port", "vmbr6", ["eno3"], address="10.6.0.1/24"),
            ),
            private_with_ports("fail_nat_with_port", "vmbr6", "10.6.0.1/24", "eno3"),
            on_uplink("fail_ct", "a generated MAC", "vmbr0"),
            on_uplink("fail_ct_default", "a generated MAC", "vmbr0"),
            on_uplink("fail_vm", "a generated MAC", "vmbr2"),
        )
    ],
)

# The shipped config, sent as the engine sends it (every policy with its level), and as the
# offline plan's runner sends it (no level: each policy keeps the pack's): violations stay
# mandatory.
SHIPPED = {
    name: engine_config(**values) for name, values in json.loads(SHIPPED_FILE.read_text()).items()
}
SHIPPED_BY_ENGINE = RuleCases(
    variant="shipped-config",
    pack_config=SHIPPED,
    stacks=[
        stack_fails(
            *with_baseline("fail_shipped_config_keeps_violations_mandatory", WEB_ON_VMBR0),
            on_uplink("web", "a generated MAC", "vmbr0"),
        )
    ],
)
SHIPPED_BY_RUNNER = RuleCases(
    variant="runner-config",
    pack_config=load_policy_config(SHIPPED_FILE),
    stacks=[
        stack_fails(
            *with_baseline("fail_runner_config_without_level_keeps_policy_level", WEB_ON_VMBR0),
            on_uplink("web", "a generated MAC", "vmbr0"),
        )
    ],
)

CASES = (
    DEFAULTS,
    ALLOWED_MACS,
    OWN_UPLINKS,
    NO_UPLINKS,
    TOGETHER,
    SHIPPED_BY_ENGINE,
    SHIPPED_BY_RUNNER,
)
