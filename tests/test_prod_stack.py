"""The prod stack (seed 000) end to end through the offline plan: program, mocks, policy pack."""

from __future__ import annotations

from typing import Any

import pytest

from components.derive import nat_plan
from components.plan import PlanResult, RecordedResource, plan_stack
from components.render import nat_ruleset
from tests.stacks import ROOT, stack_spec

LXC = "proxmoxve:index/containerLegacy:ContainerLegacy"
DOCKER_CONTAINER = "docker:index/container:Container"
PUBLIC = "203.0.113.10"

# The seed's guest table: name -> address on the NAT bridge.
SEED_TABLE = {
    "proxy": "10.0.0.2",
    "livekit": "10.0.0.10",
    "egress": "10.0.0.11",
    "agents": "10.0.0.12",
    "backend": "10.0.0.13",
    "frontend": "10.0.0.14",
    "monitoring": "10.0.0.15",
}


@pytest.fixture(scope="module")
def prod() -> PlanResult:
    return plan_stack(ROOT, "prod")


def _guests(result: PlanResult) -> dict[str, dict[str, Any]]:
    return {
        r.name.removeprefix("ax102-").removesuffix("-container"): r.inputs
        for r in result.resources
        if r.type == LXC
    }


def _named(result: PlanResult) -> dict[str, RecordedResource]:
    # Components share names across types (an LxcService and its DockerEngine): custom only.
    return {r.name: r for r in result.resources if r.custom}


def test_one_guest_per_row_of_the_seed_table(prod: PlanResult) -> None:
    addresses = {
        name: inputs["initialization"]["ipConfigs"][0]["ipv4"]["address"]
        for name, inputs in _guests(prod).items()
    }
    assert addresses == {name: f"{ip}/24" for name, ip in SEED_TABLE.items()}


def test_nat_forwards_are_the_seeds(prod: PlanResult) -> None:
    plan = nat_plan(stack_spec("prod"), "ax102")
    assert [(r.protocol, [str(p) for p in r.ports], str(r.target)) for r in plan.rules] == [
        ("tcp", ["80", "443"], "10.0.0.2"),
        ("tcp", ["7881"], "10.0.0.10"),
        ("udp", ["50000-60000"], "10.0.0.10"),
    ]
    ruleset = _named(prod)["ax102-nat-ruleset"].inputs["stdin"]
    assert ruleset == nat_ruleset(plan)
    assert f"ip daddr {PUBLIC} tcp dport {{ 80, 443 }} dnat to 10.0.0.2" in ruleset
    assert f"ip daddr {PUBLIC} tcp dport 7881 dnat to 10.0.0.10" in ruleset
    assert f"ip daddr {PUBLIC} udp dport 50000-60000 dnat to 10.0.0.10" in ruleset
    assert ruleset.count(" dnat to ") == 6  # prerouting and output (the host's own hairpin)


def test_no_guest_interface_on_the_uplink(prod: PlanResult) -> None:
    bridges = {
        iface["bridge"]
        for inputs in _guests(prod).values()
        for iface in inputs["networkInterfaces"]
    }
    assert bridges == {"vmbr1"}
    assert _named(prod)["ax102-nat-bridge"].inputs["ports"] == []


def test_every_guest_is_unprivileged_with_nesting_only(prod: PlanResult) -> None:
    # An API token may set nesting; keyctl and the other flags are root@pam-only
    # (pve-container src/PVE/LXC.pm check_ct_modify_config_perm); see docs/proxmox.md.
    for inputs in _guests(prod).values():
        assert inputs["unprivileged"] is True
        assert inputs["features"] == {"nesting": True}


def test_guests_wait_for_the_bridge_the_merge_and_the_storage_content(prod: PlanResult) -> None:
    named = _named(prod)
    needed = {
        named["ax102-nat-bridge"].urn,
        named["ax102-merge-data"].urn,
        named["ax102-storage-content"].urn,
    }
    for resource in prod.resources:
        if resource.type == LXC:
            assert needed <= set(resource.dependencies), resource.name


def test_the_protected_set(prod: PlanResult) -> None:
    protected = sorted(r.name for r in prod.resources if r.protect)
    assert protected == [
        "alertmanager-alertmanager-data",  # the monitoring set's named volumes
        # Stateful guests: the proxy holds Nginx Proxy Manager's database and certificates.
        "ax102-backend-container",
        "ax102-egress-container",
        "ax102-monitoring-container",
        "ax102-proxy-container",
        "grafana-grafana-data",
        # Named volumes of the stateful services.
        "npm-npm-data",
        "npm-npm-letsencrypt",
        "prometheus-prometheus-data",
        "redis-redis-data",
    ]


def test_every_service_runs_on_its_guests_engine(prod: PlanResult) -> None:
    spec = stack_spec("prod")
    named = _named(prod)
    for name, service in spec.services.items():
        container = named[f"{name}-container"]
        assert container.type == DOCKER_CONTAINER
        assert container.provider_urn == named[f"ax102-{service.machine}-engine-provider"].urn


def test_prod_has_no_policy_violation(prod: PlanResult) -> None:
    # Egress's SYS_ADMIN is a declared exception (platform:services.egress.policyExceptions),
    # which the pack honours through the container's label; nothing else may be reported.
    assert [(v.policy, v.urn.rpartition("::")[2]) for v in prod.violations] == []


def test_component_tree_and_type_tokens(prod: PlanResult) -> None:
    types = {(r.type, r.name) for r in prod.resources}
    assert ("selfhosted:platform:ProxmoxPlatform", "ax102") in types
    assert ("selfhosted:proxmox:ProxmoxNode", "ax102") in types
    assert ("selfhosted:proxmox:NatBridge", "ax102-nat") in types
    assert ("selfhosted:proxmox:LxcService", "ax102-livekit") in types
    assert ("selfhosted:docker:DockerEngine", "ax102-livekit-engine") in types
    assert ("selfhosted:docker:ContainerService", "livekit") in types
    urns = {r.urn: r for r in prod.resources}
    for resource in prod.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        parent = urns[resource.parent]
        # Children are named after their component: "<component>-<role>".
        assert resource.name.startswith(f"{parent.name}-"), resource.name
