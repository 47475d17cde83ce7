"""docker-network-no-uplink-macvlan with its own uplink list: configured uplinks replace the
default ones."""

from __future__ import annotations

from ..fixtures_cloud import docker_network
from ..harness import RuleCases, fails, passes

CASES = RuleCases(
    policy="docker-network-no-uplink-macvlan",
    level="mandatory",
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
