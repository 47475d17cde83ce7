"""The selfhosted-platform CrossGuard policy pack: `pulumi preview --policy-pack policies`."""

from pulumi_policy import PolicyPack

import secret_marking
from docker_container_no_public_database_port import docker_container_no_public_database_port
from nat_forward_no_database_port import nat_forward_no_database_port
from uplink_single_mac import uplink_single_mac

secret_marking.install()

PolicyPack(
    name="selfhosted-platform",
    policies=[
        docker_container_no_public_database_port,
        nat_forward_no_database_port,
        uplink_single_mac,
    ],
)
