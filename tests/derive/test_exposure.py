"""Exposures, derived once: published ports, edge openings, proxy routes, policy ports."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest

from components.derive import (
    edge_openings,
    listen_ports,
    nat_plan,
    proxy_routes,
    published_ports,
    stack_policy_config,
    topology,
)
from components.plan.stack_spec import read_stack_spec
from components.spec import PlatformSpec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prod() -> PlatformSpec:
    return read_stack_spec(ROOT / "Pulumi.prod.yaml")


@pytest.fixture(scope="module")
def staging() -> PlatformSpec:
    return read_stack_spec(ROOT / "Pulumi.staging.yaml")


@pytest.fixture(scope="module")
def hub() -> PlatformSpec:
    return read_stack_spec(ROOT / "Pulumi.hub.yaml")


def _openings(spec: PlatformSpec) -> list[tuple[str, str, str, str, str | None]]:
    return [
        (o.host, o.protocol, str(o.ports), o.service, str(o.target) if o.target else None)
        for o in edge_openings(spec)
    ]


def test_prod_openings_are_nat_forwards_to_guests(prod: PlatformSpec) -> None:
    assert _openings(prod) == [
        ("ax102", "tcp", "80", "npm", "10.0.0.2"),
        ("ax102", "tcp", "443", "npm", "10.0.0.2"),
        ("ax102", "tcp", "7881", "livekit", "10.0.0.10"),
        ("ax102", "udp", "50000-60000", "livekit", "10.0.0.10"),
    ]


def test_prod_nat_plan_groups_forwards_per_service(prod: PlatformSpec) -> None:
    plan = nat_plan(prod, "ax102")
    rules = [(r.protocol, [str(p) for p in r.ports], str(r.target), r.service) for r in plan.rules]
    assert rules == [
        ("tcp", ["80", "443"], "10.0.0.2", "npm"),
        ("tcp", ["7881"], "10.0.0.10", "livekit"),
        ("udp", ["50000-60000"], "10.0.0.10", "livekit"),
    ]
    assert (plan.bridge, str(plan.subnet), str(plan.gateway)) == (
        "vmbr1",
        "10.0.0.0/24",
        "10.0.0.1",
    )
    assert plan.public_address == IPv4Address("203.0.113.10")


def test_staging_openings_are_firewall_rules_on_the_droplet(staging: PlatformSpec) -> None:
    assert _openings(staging) == [
        ("staging", "tcp", "80", "npm", None),
        ("staging", "tcp", "443", "npm", None),
        ("staging", "tcp", "7881", "livekit", None),
        ("staging", "udp", "50000-50019", "livekit", None),
    ]


def test_hub_opens_only_traefiks_web_ports(hub: PlatformSpec) -> None:
    assert _openings(hub) == [
        ("hub", "tcp", "80", "traefik", None),
        ("hub", "tcp", "443", "traefik", None),
    ]
    published = {name: published_ports(hub, name) for name in hub.services}
    assert {name for name, ports in published.items() if ports} == {"traefik"}


def test_published_ports_are_on_the_guest_address(prod: PlatformSpec) -> None:
    # A route from the proxy guest reaches the backend at its guest address; redis is private.
    assert [
        (p.protocol, str(p.ports), str(p.address)) for p in published_ports(prod, "backend")
    ] == [("tcp", "8000", "10.0.0.13")]
    assert [(p.protocol, str(p.ports), str(p.address)) for p in published_ports(prod, "redis")] == [
        ("tcp", "6379", "10.0.0.10")
    ]
    # LiveKit binds its own ports on the host network: Docker publishes nothing for it.
    assert published_ports(prod, "livekit") == ()


def test_published_ports_on_a_server_use_its_public_address(staging: PlatformSpec) -> None:
    ports = published_ports(staging, "npm")
    assert [(p.protocol, str(p.ports), p.address) for p in ports] == [
        ("tcp", "80", None),
        ("tcp", "443", None),
    ]
    # A route on the proxy's own engine goes over the network: nothing published.
    assert published_ports(staging, "backend") == ()


def test_proxy_routes_upstreams(prod: PlatformSpec, hub: PlatformSpec) -> None:
    assert [(r.host, r.path, r.upstream) for r in proxy_routes(prod)] == [
        ("app.example.com", "/", "http://10.0.0.14:3000"),
        ("app.example.com", "/api", "http://10.0.0.13:8000"),
        ("livekit.example.com", "/", "http://10.0.0.10:7880"),
    ]
    assert [(r.host, r.upstream) for r in proxy_routes(hub)] == [
        ("agent.versatilehub.app", "http://agent:18789"),
        ("altamira.versatilehub.app", "http://hub-frontend:8080"),
        ("chat-bridge.versatilehub.app", "http://chat-bridge:4000"),
        ("chat.versatilehub.app", "http://chat-web:3000"),
    ]


def test_listen_ports(prod: PlatformSpec) -> None:
    assert [(p, str(r)) for p, r in listen_ports(prod, "livekit")] == [
        ("tcp", "7880"),
        ("tcp", "7881"),
        ("udp", "50000-60000"),
    ]
    assert listen_ports(prod, "agents") == ()


def test_policy_ports_come_from_the_stack(prod: PlatformSpec, hub: PlatformSpec) -> None:
    assert stack_policy_config(prod) == {
        "cloud-firewall-restricted-inbound": {
            "publicPorts": [
                {"protocol": "tcp", "ports": "80"},
                {"protocol": "tcp", "ports": "443"},
            ],
            "mediaPorts": [
                {"protocol": "tcp", "ports": "7881"},
                {"protocol": "udp", "ports": "50000-60000"},
            ],
            "sshCidrs": [],
        }
    }
    assert stack_policy_config(hub)["cloud-firewall-restricted-inbound"] == {
        "publicPorts": [{"protocol": "tcp", "ports": "80"}, {"protocol": "tcp", "ports": "443"}],
        "mediaPorts": [],
        "sshCidrs": ["198.51.100.0/24"],
    }


def test_topology_places_services_on_engines(prod: PlatformSpec, hub: PlatformSpec) -> None:
    placement = topology(prod)
    assert [(e.machine, e.host, e.host_kind, e.services) for e in placement.engines] == [
        ("agents", "ax102", "proxmox", ("agents",)),
        ("backend", "ax102", "proxmox", ("backend",)),
        ("egress", "ax102", "proxmox", ("egress",)),
        ("frontend", "ax102", "proxmox", ("frontend",)),
        ("livekit", "ax102", "proxmox", ("livekit", "redis")),
        ("proxy", "ax102", "proxmox", ("npm",)),
    ]
    # The monitoring guest runs no service yet: it gets no Docker engine.
    assert "monitoring" not in [e.machine for e in placement.engines]
    assert placement.engine_of("redis").private_address == IPv4Address("10.0.0.10")
    hub_engines = topology(hub).engines
    assert [(e.machine, e.host_kind, e.private_address) for e in hub_engines] == [
        ("hub", "hcloud", None)
    ]
