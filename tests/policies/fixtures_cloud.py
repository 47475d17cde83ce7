"""Compliant baselines for volumes, networks and cloud resources, shared by their policy tests.

Properties are shaped as the engine sends them to AnalyzeStack: a resource's outputs (with
its ``id`` once it exists), its ``protect`` option, and the dependencies of each property on
other resources (a program passes ``droplet.id``, so the firewall's ``dropletIds`` depends on
the droplet whether or not the id is known yet). Numbers travel as floats on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from components.plan.policy_runner import struct_from
from components.plan.recording import RecordedResource

from .conftest import DOCKER_VOLUME, PGDATA, PGDATA_VOLUME, backup_job, container, resource

DOCKER_NETWORK = "docker:index/network:Network"
DO_DROPLET = "digitalocean:index/droplet:Droplet"
DO_FIREWALL = "digitalocean:index/firewall:Firewall"
DO_TAG = "digitalocean:index/tag:Tag"
DO_VOLUME = "digitalocean:index/volume:Volume"
DO_DATABASE = "digitalocean:index/databaseCluster:DatabaseCluster"
DO_DATABASE_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"
HCLOUD_SERVER = "hcloud:index/server:Server"
HCLOUD_FIREWALL = "hcloud:index/firewall:Firewall"
HCLOUD_ATTACHMENT = "hcloud:index/firewallAttachment:FirewallAttachment"
HCLOUD_VOLUME = "hcloud:index/volume:Volume"

ANYWHERE = ["0.0.0.0/0", "::/0"]


def protected(item: RecordedResource) -> RecordedResource:
    """The resource with the ``protect`` resource option."""
    return replace(item, protect=True)


def depends(item: RecordedResource, **properties: Sequence[RecordedResource]) -> RecordedResource:
    """The resource with ``property -> resources`` dependencies, as the engine records them."""
    property_dependencies = {
        **item.property_dependencies,
        **{key: [d.urn for d in deps] for key, deps in properties.items()},
    }
    urns = [urn for deps in property_dependencies.values() for urn in deps]
    return replace(
        item,
        property_dependencies=property_dependencies,
        dependencies=list(dict.fromkeys([*item.dependencies, *urns])),
    )


def with_properties(item: RecordedResource, **changes: Any) -> RecordedResource:
    """``item`` with changed top-level properties (None removes one); options kept."""
    properties = {k: v for k, v in {**item.inputs, **changes}.items() if v is not None}
    return replace(item, properties=struct_from(properties))


def no_dependencies(item: RecordedResource) -> RecordedResource:
    """``item`` without recorded dependencies (its references written as literal values)."""
    return replace(item, property_dependencies={}, dependencies=[])


def swap(stack: Sequence[RecordedResource], *changed: RecordedResource) -> list[RecordedResource]:
    """``stack`` with each resource of the same name replaced by ``changed`` (else appended)."""
    by_name = {item.name: item for item in changed}
    swapped = [by_name.pop(item.name, item) for item in stack]
    return [*swapped, *by_name.values()]


def without(stack: Sequence[RecordedResource], *names: str) -> list[RecordedResource]:
    return [item for item in stack if item.name not in names]


def inbound_do(protocol: str, ports: str | None, sources: Any, **extra: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"protocol": protocol, "sourceAddresses": sources, **extra}
    if ports is not None:
        rule["portRange"] = ports
    return rule


def rule_hcloud(
    protocol: str, port: str | None, sources: Any, direction: str = "in", **extra: Any
) -> dict[str, Any]:
    rule: dict[str, Any] = {"direction": direction, "protocol": protocol, **extra}
    if direction == "in":
        rule["sourceIps"] = sources
    else:
        rule["destinationIps"] = sources
    if port is not None:
        rule["port"] = port
    return rule


# Public web and WebRTC media ports: what the policy config admits from anywhere by default.
DO_PUBLIC_RULES = [
    inbound_do("tcp", "80", ANYWHERE),
    inbound_do("tcp", "443", ANYWHERE),
    inbound_do("udp", "50000-60000", ANYWHERE),
    inbound_do("tcp", "7881", ANYWHERE),
    # Private sources need no exception: only sources covering everything count as anywhere.
    inbound_do("tcp", "5432", ["10.10.0.0/16"]),
    # Droplets by tag are the account's own resources.
    {"protocol": "tcp", "portRange": "22", "sourceTags": ["bastion"]},
]
HCLOUD_PUBLIC_RULES = [
    rule_hcloud("tcp", "80", ANYWHERE),
    rule_hcloud("tcp", "443", ANYWHERE),
    rule_hcloud("udp", "50000-60000", ANYWHERE),
    rule_hcloud("tcp", "7881", ANYWHERE),
    rule_hcloud("tcp", "5432", ["10.0.0.0/16"]),
    rule_hcloud("tcp", "any", ANYWHERE, direction="out"),
]


def docker_volume(name: str, volume_name: str = PGDATA) -> RecordedResource:
    return resource(DOCKER_VOLUME, name, {"name": volume_name, "driver": "local"})


def docker_network(name: str, driver: str = "bridge", **props: Any) -> RecordedResource:
    return resource(DOCKER_NETWORK, name, {"name": name, "driver": driver, **props})


def droplet(name: str, **props: Any) -> RecordedResource:
    base = {
        "name": name,
        "image": "ubuntu-24-04-x64",
        "region": "fra1",
        "size": "s-1vcpu-1gb",
        "sshKeys": ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"],
        "tags": [],
    }
    return resource(DO_DROPLET, name, {**base, **props})


def do_firewall(name: str, **props: Any) -> RecordedResource:
    base = {
        "name": name,
        "inboundRules": DO_PUBLIC_RULES,
        "outboundRules": [
            {"protocol": "tcp", "portRange": "1-65535", "destinationAddresses": ANYWHERE}
        ],
    }
    return resource(DO_FIREWALL, name, {**base, **props})


def server(name: str, **props: Any) -> RecordedResource:
    base = {
        "name": name,
        "serverType": "cx22",
        "image": "debian-12",
        "location": "fsn1",
        "sshKeys": ["admin"],
    }
    return resource(HCLOUD_SERVER, name, {**base, **props})


def hcloud_firewall(name: str, **props: Any) -> RecordedResource:
    return resource(HCLOUD_FIREWALL, name, {"name": name, "rules": HCLOUD_PUBLIC_RULES, **props})


def attachment(name: str, **props: Any) -> RecordedResource:
    return resource(HCLOUD_ATTACHMENT, name, {"firewallId": 1001, **props})


def database(name: str, **props: Any) -> RecordedResource:
    base = {
        "name": name,
        "engine": "pg",
        "version": "16",
        "size": "db-s-1vcpu-1gb",
        "region": "fra1",
        "nodeCount": 1,
    }
    return resource(DO_DATABASE, name, {**base, **props})


def database_firewall(name: str, **props: Any) -> RecordedResource:
    return resource(DO_DATABASE_FIREWALL, name, props)


# The baseline: one of each type, wired as a program wires them, accepted by every policy
# (PGDATA_VOLUME, from conftest, is the protected volume COMPLIANT_CONTAINER's db mounts).
DB_CONTAINER = depends(container("db"), volumes=[PGDATA_VOLUME])
LAN = docker_network("lan", "macvlan", options={"parent": "vmbr1"})
WEB_TAG = resource(DO_TAG, "web", {"name": "web", "id": "web"})
APP = depends(droplet("app", id="401234567", tags=["web"], vpcUuid="vpc-1"), tags=[WEB_TAG])
APP_FIREWALL = depends(do_firewall("app-fw", dropletIds=[401234567]), dropletIds=[APP])
APP_VOLUME = protected(resource(DO_VOLUME, "app-data", {"name": "app-data", "size": 10}))
APP_DB = protected(database("app-db", id="db-1", privateNetworkUuid="vpc-1"))
APP_DB_FIREWALL = depends(
    database_firewall(
        "app-db-fw",
        clusterId="db-1",
        rules=[{"type": "droplet", "value": "401234567"}, {"type": "tag", "value": "web"}],
    ),
    clusterId=[APP_DB],
)
EDGE = hcloud_firewall("edge", id="1001")
NODE = depends(
    server("node", id="5001", firewallIds=[1001], labels={"role": "node"}), firewallIds=[EDGE]
)
WORKER = server("worker", id="5002", labels={"role": "worker", "env": "prod"})
WORKER_ATTACHMENT = attachment("worker-fw", labelSelectors=["role=worker"])
NODE_VOLUME = depends(
    resource(
        HCLOUD_VOLUME,
        "node-data",
        {"name": "node-data", "size": 20, "serverId": 5001, "deleteProtection": True},
    ),
    serverId=[NODE],
)

BASELINE: list[RecordedResource] = [
    PGDATA_VOLUME,
    DB_CONTAINER,
    backup_job(DB_CONTAINER),
    LAN,
    WEB_TAG,
    APP,
    APP_FIREWALL,
    APP_VOLUME,
    APP_DB,
    APP_DB_FIREWALL,
    EDGE,
    NODE,
    WORKER,
    WORKER_ATTACHMENT,
    NODE_VOLUME,
]
