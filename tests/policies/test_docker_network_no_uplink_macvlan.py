"""docker-network-no-uplink-macvlan, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import UNKNOWN, diagnostics, not_run_names, not_run_prefix, violating_names
from .fixtures_cloud import BASELINE, docker_network, swap

POLICY = "docker-network-no-uplink-macvlan"
DESCRIPTION = (
    "Docker macvlan and ipvlan networks never use an uplink interface as parent: the uplink "
    "shows only the host's own MAC and addresses."
)
MACVLAN_EFFECT = "each container puts its own MAC address on the uplink"
IPVLAN_EFFECT = "container addresses appear on the uplink that the provider does not route"


def violation(name: str, driver: str, parent: str) -> tuple[str, str, str]:
    effect = MACVLAN_EFFECT if driver == "macvlan" else IPVLAN_EFFECT
    return (
        POLICY,
        "mandatory",
        f"{DESCRIPTION}\nNetwork {name} ({driver}) has the uplink interface {parent} as "
        f"parent: {effect}.",
    )


def lan(driver: str, parent: Any, **options: Any) -> Any:
    return docker_network("lan", driver, options={"parent": parent, **options})


def test_baseline_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check(BASELINE) == []


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        pytest.param(lan("macvlan", "eth0"), violation("lan", "macvlan", "eth0"), id="macvlan"),
        pytest.param(
            lan("macvlan", "enp0s31f6", macvlan_mode="bridge"),
            violation("lan", "macvlan", "enp0s31f6"),
            id="macvlan-bridge-mode",
        ),
        pytest.param(
            lan("macvlan", "eno1.4000"),
            violation("lan", "macvlan", "eno1.4000"),
            id="vlan-sub-interface-of-uplink",
        ),
        pytest.param(lan("ipvlan", "ens3"), violation("lan", "ipvlan", "ens3"), id="ipvlan-l2"),
        pytest.param(
            lan("ipvlan", "vmbr0", ipvlan_mode="l3"),
            violation("lan", "ipvlan", "vmbr0"),
            id="ipvlan-l3-is-flagged-too",
        ),
    ],
)
def test_each_violation_kind(
    pack: PolicyPackProcess, network: Any, expected: tuple[str, str, str]
) -> None:
    found = pack.check(swap(BASELINE, network))
    assert diagnostics(found) == [expected]
    assert [v.urn for v in found] == [network.urn]


def test_unknown_parent_is_not_run(pack: PolicyPackProcess) -> None:
    assert diagnostics(pack.check(swap(BASELINE, lan("macvlan", UNKNOWN)))) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .options.parent can't be known during "
            "preview",
        )
    ]


def test_configured_uplinks_replace_the_default(unconfigured_pack: PolicyPackProcess) -> None:
    networks = [
        docker_network("on_eth0", "macvlan", options={"parent": "eth0"}),
        docker_network("on_bond", "ipvlan", options={"parent": "bond0.20"}),
    ]
    assert violating_names(unconfigured_pack.check([*BASELINE, *networks]), POLICY) == {"on_eth0"}
    unconfigured_pack.configure(
        {POLICY: {"enforcementLevel": "mandatory", "uplinkInterfaces": ["bond0"]}}
    )
    assert diagnostics(unconfigured_pack.check([*BASELINE, *networks])) == [
        violation("on_bond", "ipvlan", "bond0.20")
    ]


FIXTURES = [
    docker_network("pass_bridge"),
    docker_network("pass_bridge_unknown_options", options=UNKNOWN),
    docker_network("pass_overlay", "overlay", attachable=True),
    docker_network("pass_macvlan_nat_bridge", "macvlan", options={"parent": "vmbr1"}),
    docker_network("pass_macvlan_no_parent", "macvlan"),
    docker_network("pass_macvlan_empty_options", "macvlan", options={}),
    docker_network("pass_ipvlan_second_nic", "ipvlan", options={"parent": "ens19"}),
    docker_network("pass_name_only_looks_like_uplink", "macvlan", options={"parent": "eth0x"}),
    docker_network("fail_macvlan_eth0", "macvlan", options={"parent": "eth0"}),
    docker_network("fail_macvlan_vmbr0", "macvlan", options={"parent": "vmbr0"}),
    docker_network("fail_macvlan_vlan", "macvlan", options={"parent": "enp0s31f6.10"}),
    docker_network("fail_ipvlan_l2", "ipvlan", options={"parent": "eno1", "ipvlan_mode": "l2"}),
    docker_network("fail_ipvlan_l3s", "ipvlan", options={"parent": "ens3", "ipvlan_mode": "l3s"}),
    docker_network("unknown_driver", UNKNOWN, options={"parent": "eth0"}),
    docker_network("unknown_options", "macvlan", options=UNKNOWN),
    docker_network("unknown_parent", "ipvlan", options={"parent": UNKNOWN}),
]


def test_fixture_resources_analyzed_together(pack: PolicyPackProcess) -> None:
    found = pack.check([*BASELINE, *FIXTURES])
    names = [item.name for item in FIXTURES]
    assert violating_names(found, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(found, POLICY) == {n for n in names if n.startswith("unknown_")}
