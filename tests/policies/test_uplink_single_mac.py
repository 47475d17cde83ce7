"""uplink-single-mac (a stack policy), through the pack process and the analyzer protocol."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess, load_policy_config
from components.plan.recording import UNKNOWN, RecordedResource

from .conftest import PACK_DIR, diagnostics, is_not_run, not_run_prefix, resource
from .conftest import container as docker_container

POLICY = "uplink-single-mac"
DESCRIPTION = (
    "Each uplink shows a single MAC address: no guest interface on a bridge with physical "
    "ports unless its MAC is allowed."
)
BRIDGE = "proxmoxve:network/linux/bridge:Bridge"
BRIDGE_LEGACY = "proxmoxve:network/linux/bridgeLegacy:BridgeLegacy"
CONTAINER = "proxmoxve:index/containerLegacy:ContainerLegacy"
VM_LEGACY = "proxmoxve:index/vmLegacy:VmLegacy"
MAC = "BC:24:11:AA:BB:01"


def configure(pack: PolicyPackProcess, **config: Any) -> None:
    """Policy config as the engine sends it: always with the policy's enforcement level."""
    pack.configure({POLICY: {"enforcementLevel": "mandatory", **config}})


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


def guest_violation(name: str, shown: str, on: str) -> tuple[str, str, str]:
    return (
        POLICY,
        "mandatory",
        f"{DESCRIPTION}\n{name} puts {shown} on the uplink bridge {on}; attach it to a NAT "
        "bridge without physical ports.",
    )


def bridge_violation(name: str, address: str, ports: str) -> tuple[str, str, str]:
    return (
        POLICY,
        "mandatory",
        f"{DESCRIPTION}\nBridge {name} routes the private network {address} but has physical "
        f"ports {ports}; a NAT bridge has none.",
    )


NAT_BRIDGE = bridge("nat-bridge", "vmbr1", address="10.0.0.1/24")
BASELINE = [
    NAT_BRIDGE,
    container("proxy", {"bridge": "vmbr1"}),
    container("livekit", {"bridge": "vmbr1", "macAddress": MAC}),
    vm_legacy("egress", {"bridge": "vmbr1"}),
]


def test_compliant_stack_has_no_diagnostics(unconfigured_pack: PolicyPackProcess) -> None:
    assert unconfigured_pack.check(BASELINE) == []


def test_compliant_stack_with_declared_uplink(
    unconfigured_pack: PolicyPackProcess,
) -> None:
    uplink = bridge("uplink", "vmbr0", ["enp0s31f6"], address="95.216.10.20/26")
    assert unconfigured_pack.check([uplink, *BASELINE]) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            [container("web", {"bridge": "vmbr0"})],
            [guest_violation("web", "a generated MAC", "vmbr0")],
            id="container-on-default-uplink",
        ),
        pytest.param(
            [container("web", {"bridge": "vmbr0", "macAddress": MAC})],
            [guest_violation("web", MAC, "vmbr0")],
            id="container-with-mac-on-default-uplink",
        ),
        pytest.param(
            [container("web", {})],
            [guest_violation("web", "a generated MAC", "vmbr0")],
            id="no-bridge-is-the-provider-default-vmbr0",
        ),
        pytest.param(
            [container("web", {"bridge": "vmbr1"}, {"bridge": "vmbr0"})],
            [guest_violation("web", "a generated MAC", "vmbr0")],
            id="second-interface-on-uplink",
        ),
        pytest.param(
            [
                bridge("wan", "vmbr2", ["eno1"]),
                container("web", {"bridge": "vmbr2", "macAddress": MAC}),
            ],
            [guest_violation("web", MAC, "vmbr2")],
            id="declared-bridge-with-ports",
        ),
        pytest.param(
            [
                resource(BRIDGE_LEGACY, "wan", {"name": "vmbr3", "ports": ["eno2"]}),
                container("web", {"bridge": "vmbr3"}),
            ],
            [guest_violation("web", "a generated MAC", "vmbr3")],
            id="declared-legacy-bridge-with-ports",
        ),
        pytest.param(
            [vm_legacy("vm", {"bridge": "vmbr0"})],
            [guest_violation("vm", "a generated MAC", "vmbr0")],
            id="vm-legacy-network-device",
        ),
        pytest.param(
            [vm_legacy("vm", {})],
            [guest_violation("vm", "a generated MAC", "vmbr0")],
            id="vm-legacy-default-bridge",
        ),
        pytest.param(
            [bridge("nat2", "vmbr4", ["eno1"], address="10.0.1.1/24")],
            [bridge_violation("vmbr4", "10.0.1.1/24", "eno1")],
            id="private-bridge-with-ports",
        ),
        pytest.param(
            [
                bridge("nat2", "vmbr4", ["eno1", "eno2"], address="192.168.5.1/24"),
                container("web", {"bridge": "vmbr4"}),
            ],
            [
                bridge_violation("vmbr4", "192.168.5.1/24", "eno1, eno2"),
                guest_violation("web", "a generated MAC", "vmbr4"),
            ],
            id="private-bridge-with-ports-and-guest",
        ),
    ],
)
def test_each_violation_kind(
    unconfigured_pack: PolicyPackProcess,
    extra: list[RecordedResource],
    expected: list[tuple[str, str, str]],
) -> None:
    assert diagnostics(unconfigured_pack.check([*BASELINE, *extra])) == expected


def test_violations_carry_the_offending_resource_urn(unconfigured_pack: PolicyPackProcess) -> None:
    nat2 = bridge("nat2", "vmbr4", ["eno1"], address="10.0.1.1/24")
    web = container("web", {"bridge": "vmbr0"})
    assert [v.urn for v in unconfigured_pack.check([*BASELINE, nat2, web])] == [nat2.urn, web.urn]


def test_allowed_mac_passes_case_insensitively(unconfigured_pack: PolicyPackProcess) -> None:
    guests = [
        container("upper", {"bridge": "vmbr0", "macAddress": "00:50:56:00:AB:CD"}),
        container("lower", {"bridge": "vmbr0", "macAddress": "00:50:56:00:ab:cd"}),
        container("other", {"bridge": "vmbr0", "macAddress": "00:50:56:00:AB:CE"}),
        container("generated", {"bridge": "vmbr0"}),
    ]
    configure(unconfigured_pack, allowedMacs=["00:50:56:00:Ab:Cd"])
    assert diagnostics(unconfigured_pack.check([*BASELINE, *guests])) == [
        guest_violation("other", "00:50:56:00:AB:CE", "vmbr0"),
        guest_violation("generated", "a generated MAC", "vmbr0"),
    ]


def test_configured_uplink_bridges_replace_the_default(
    unconfigured_pack: PolicyPackProcess,
) -> None:
    guests = [
        container("on_vmbr0", {"bridge": "vmbr0"}),
        container("on_wan", {"bridge": "br-wan"}),
    ]
    assert [v.urn for v in unconfigured_pack.check([*BASELINE, *guests])] == [guests[0].urn]
    configure(unconfigured_pack, uplinkBridges=["br-wan"])
    assert diagnostics(unconfigured_pack.check([*BASELINE, *guests])) == [
        guest_violation("on_wan", "a generated MAC", "br-wan"),
    ]


def test_bridge_with_ports_is_an_uplink_whatever_the_config(
    unconfigured_pack: PolicyPackProcess,
) -> None:
    configure(unconfigured_pack, uplinkBridges=[])
    wan = bridge("wan", "vmbr0", ["eno1"], address="95.216.10.20/26")
    web = container("web", {"bridge": "vmbr0"})
    assert diagnostics(unconfigured_pack.check([*BASELINE, web])) == []
    assert diagnostics(unconfigured_pack.check([*BASELINE, wan, web])) == [
        guest_violation("web", "a generated MAC", "vmbr0")
    ]


def test_shipped_policy_config_keeps_violations_mandatory(
    unconfigured_pack: PolicyPackProcess,
) -> None:
    # The engine sends every policy's own enforcement level along with its config.
    shipped = json.loads((PACK_DIR / "policy-config.json").read_text())
    unconfigured_pack.configure(
        {name: {"enforcementLevel": "mandatory", **v} for name, v in shipped.items()}
    )
    web = container("web", {"bridge": "vmbr0"})
    assert diagnostics(unconfigured_pack.check([*BASELINE, web])) == [
        guest_violation("web", "a generated MAC", "vmbr0")
    ]


def test_runner_config_without_level_keeps_policy_level(
    unconfigured_pack: PolicyPackProcess,
) -> None:
    unconfigured_pack.configure(load_policy_config(PACK_DIR / "policy-config.json"))
    web = container("web", {"bridge": "vmbr0"})
    assert diagnostics(unconfigured_pack.check([*BASELINE, web])) == [
        guest_violation("web", "a generated MAC", "vmbr0")
    ]


def test_unknown_value_is_a_stack_wide_not_run_advisory(
    unconfigured_pack: PolicyPackProcess,
) -> None:
    stack = [*BASELINE, container("web", {"bridge": UNKNOWN})]
    assert diagnostics(unconfigured_pack.check(stack)) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY)
            + "string value at .networkInterfaces.0.bridge can't be known during preview",
        )
    ]


def test_unknown_value_stops_the_stack_check_where_it_is_met(
    unconfigured_pack: PolicyPackProcess,
) -> None:
    # The SDK keeps what was reported before the unknown value; later resources go unchecked.
    stack = [
        *BASELINE,
        container("before", {"bridge": "vmbr0"}),
        container("unknown", {"bridge": UNKNOWN}),
        container("after", {"bridge": "vmbr0"}),
    ]
    found = unconfigured_pack.check(stack)
    assert [(v.urn.rpartition("::")[2], v.level) for v in found] == [
        ("before", "mandatory"),
        ("", "advisory"),
    ]


# Stack fixtures: one stack each, analyzed on top of the compliant baseline. A stack-policy
# advisory names no resource, so each unknown_* stack is analyzed on its own.
STACKS: dict[str, list[RecordedResource]] = {
    "pass_guest_on_nat_bridge": [container("g", {"bridge": "vmbr1"})],
    "pass_guest_unknown_mac_on_nat_bridge": [
        container("g", {"bridge": "vmbr1", "macAddress": UNKNOWN})
    ],
    "pass_vm_on_nat_bridge": [vm_legacy("g", {"bridge": "vmbr1", "macAddress": MAC})],
    "pass_public_bridge_with_ports": [bridge("wan", "vmbr0", ["eno1"], address="95.216.10.20/26")],
    "pass_private_bridge_without_ports": [bridge("nat2", "vmbr5", address="172.16.0.1/24")],
    "pass_bridge_with_ports_no_guests": [bridge("wan", "vmbr2", ["eno1"])],
    "pass_guest_no_interfaces": [
        resource(CONTAINER, "g", {"nodeName": "ax102", "unprivileged": True})
    ],
    "pass_other_types_ignored": [
        # A Docker container every Docker policy accepts, with a Proxmox-looking property.
        docker_container(
            "g", image="nginx:1.27.2", volumes=None, networkInterfaces=[{"bridge": "vmbr0"}]
        ),
        resource(
            "proxmoxve:network/linux/vlan:Vlan", "g2", {"name": "vmbr0.10", "interface": "vmbr0"}
        ),
    ],
    "fail_container_on_vmbr0": [container("g", {"bridge": "vmbr0"})],
    "fail_vm_on_vmbr0": [vm_legacy("g", {"bridge": "vmbr0", "macAddress": MAC})],
    "fail_guest_on_bridge_with_ports": [
        bridge("wan", "vmbr2", ["eno1"]),
        container("g", {"bridge": "vmbr2"}),
    ],
    "fail_private_bridge_with_ports": [bridge("nat2", "vmbr5", ["eno1"], address="10.9.0.1/24")],
    "unknown_guest_bridge": [container("g", {"bridge": UNKNOWN})],
    "unknown_mac_on_uplink": [container("g", {"bridge": "vmbr0", "macAddress": UNKNOWN})],
    "unknown_interfaces": [
        resource(CONTAINER, "g", {"unprivileged": True, "networkInterfaces": UNKNOWN})
    ],
    "unknown_bridge_ports": [resource(BRIDGE, "wan", {"name": "vmbr2", "ports": UNKNOWN})],
    "unknown_bridge_address": [
        resource(BRIDGE, "nat2", {"name": "vmbr5", "ports": ["eno1"], "address": UNKNOWN})
    ],
}


def test_fixture_stacks(unconfigured_pack: PolicyPackProcess) -> None:
    failing, not_run = set(), set()
    for name, extra in STACKS.items():
        found = unconfigured_pack.check([*BASELINE, *extra])
        if any(v.policy == POLICY and not is_not_run(v) for v in found):
            failing.add(name)
        if any(v.policy == POLICY and is_not_run(v) for v in found):
            not_run.add(name)
        assert {v.policy for v in found} <= {POLICY}, name
    assert failing == {n for n in STACKS if n.startswith("fail_")}
    assert not_run == {n for n in STACKS if n.startswith("unknown_")}


def test_fixture_resources_analyzed_together(unconfigured_pack: PolicyPackProcess) -> None:
    """The known pass_/fail_ fixtures in one stack: exactly the fail_ resources violate."""
    stack = [
        *BASELINE,
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
    ]
    configure(unconfigured_pack, uplinkBridges=["vmbr0"], allowedMacs=["00:50:56:00:ab:cd"])
    found = unconfigured_pack.check(stack)
    assert {v.urn.rpartition("::")[2] for v in found} == {
        r.name for r in stack if r.name.startswith("fail_")
    }
    assert {v.level for v in found} == {"mandatory"}
