"""docker-network-no-uplink-macvlan: uplinks from the shipped config's list."""

from __future__ import annotations

import json
from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import PACK_DIR
from ..fixtures_cloud import docker_network
from ..harness import RuleCases, fails, passes, policy_of, unknown

POLICY = policy_of(__name__)
SHIPPED = json.loads((PACK_DIR / "policy-config.json").read_text())[POLICY]


def on(name: str, driver: str, parent: str) -> str:
    effect = (
        "each container puts its own MAC address on the uplink"
        if driver == "macvlan"
        else "container addresses appear on the uplink that the provider does not route"
    )
    return f"Network {name} ({driver}) has the uplink interface {parent} as parent: {effect}."


def network(name: str, driver: Any, **options: Any) -> Any:
    return docker_network(name, driver, options=options)


DEFAULTS = RuleCases(
    config=SHIPPED,
    cases=[
        passes(docker_network("pass_bridge")),
        passes(docker_network("pass_bridge_unknown_options", options=UNKNOWN)),
        passes(docker_network("pass_overlay", "overlay", attachable=True)),
        passes(network("pass_macvlan_nat_bridge", "macvlan", parent="vmbr1")),
        passes(docker_network("pass_macvlan_no_parent", "macvlan")),
        passes(network("pass_macvlan_empty_options", "macvlan")),
        passes(network("pass_ipvlan_second_nic", "ipvlan", parent="ens19")),
        passes(network("pass_name_only_looks_like_uplink", "macvlan", parent="eth0x")),
        passes(network("pass_bond_not_listed", "ipvlan", parent="bond0.20")),
        fails(
            network("fail_macvlan_eth0", "macvlan", parent="eth0"),
            on("fail_macvlan_eth0", "macvlan", "eth0"),
        ),
        fails(
            network(
                "fail_macvlan_bridge_mode", "macvlan", parent="enp0s31f6", macvlan_mode="bridge"
            ),
            on("fail_macvlan_bridge_mode", "macvlan", "enp0s31f6"),
        ),
        fails(
            network("fail_macvlan_vmbr0", "macvlan", parent="vmbr0"),
            on("fail_macvlan_vmbr0", "macvlan", "vmbr0"),
        ),
        fails(
            network("fail_vlan_of_uplink", "macvlan", parent="eno1.4000"),
            on("fail_vlan_of_uplink", "macvlan", "eno1.4000"),
        ),
        fails(
            network("fail_ipvlan_l2", "ipvlan", parent="ens3", ipvlan_mode="l2"),
            on("fail_ipvlan_l2", "ipvlan", "ens3"),
        ),
        fails(
            network("fail_ipvlan_l3", "ipvlan", parent="vmbr0", ipvlan_mode="l3"),
            on("fail_ipvlan_l3", "ipvlan", "vmbr0"),
        ),
        unknown(network("unknown_driver", UNKNOWN, parent="eth0"), ".driver"),
        unknown(docker_network("unknown_options", "macvlan", options=UNKNOWN), ".options"),
        unknown(network("unknown_parent", "ipvlan", parent=UNKNOWN), ".options.parent"),
    ],
)

# With its own uplink list: configured uplinks replace the default ones.
OWN_UPLINKS = RuleCases(
    variant="own-uplinks",
    config={"uplinkInterfaces": ["bond0"]},
    cases=[
        passes(docker_network("pass_eth0_not_listed", "macvlan", options={"parent": "eth0"})),
        fails(
            docker_network("fail_on_bond", "ipvlan", options={"parent": "bond0.20"}),
            "Network fail_on_bond (ipvlan) has the uplink interface bond0.20 as parent: "
            "container addresses appear on the uplink that the provider does not route.",
        ),
    ],
)

CASES = (DEFAULTS, OWN_UPLINKS)
