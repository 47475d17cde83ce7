"""Pure, deterministic functions from the spec to what the components declare."""

from .exposure import (
    EdgeOpening,
    ProxyRoute,
    PublishedPort,
    edge_openings,
    listen_ports,
    machine_address,
    proxy_routes,
    published_ports,
    stack_policy_config,
)
from .matrix import Matrix, connectivity
from .nat import DnatRule, NatPlan, nat_plan
from .topology import Engine, EngineNetwork, Topology, engine_networks, topology

__all__ = [
    "DnatRule",
    "EdgeOpening",
    "Engine",
    "EngineNetwork",
    "Matrix",
    "NatPlan",
    "ProxyRoute",
    "PublishedPort",
    "Topology",
    "connectivity",
    "edge_openings",
    "engine_networks",
    "listen_ports",
    "machine_address",
    "nat_plan",
    "proxy_routes",
    "published_ports",
    "stack_policy_config",
    "topology",
]
