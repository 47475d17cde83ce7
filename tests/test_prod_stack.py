"""The prod stack (seed 000) end to end through the offline plan: program, mocks, policy pack."""

from __future__ import annotations

import pytest

from components.plan import PlanResult, plan_stack
from tests.stacks import ROOT

# The seed's service table: name -> (address, vmId).
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


def _containers(result: PlanResult) -> dict[str, dict[str, object]]:
    return {
        r.name.removesuffix("-container"): r.inputs
        for r in result.resources
        if r.type == "proxmoxve:index/containerLegacy:ContainerLegacy"
    }


def test_one_container_per_row_of_the_seed_table(prod: PlanResult) -> None:
    containers = _containers(prod)
    addresses = {
        name: inputs["initialization"]["ipConfigs"][0]["ipv4"]["address"]  # type: ignore[index]
        for name, inputs in containers.items()
    }
    assert addresses == {name: f"{ip}/24" for name, ip in SEED_TABLE.items()}


def test_no_container_interface_on_the_uplink(prod: PlanResult) -> None:
    bridges = {
        iface["bridge"]  # type: ignore[index]
        for inputs in _containers(prod).values()
        for iface in inputs["networkInterfaces"]  # type: ignore[attr-defined]
    }
    assert bridges == {"vmbr1"}


def test_every_container_is_unprivileged_with_nesting_only(prod: PlanResult) -> None:
    # An API token may set nesting; keyctl and the other flags are root@pam-only
    # (pve-container src/PVE/LXC.pm check_ct_modify_config_perm); see docs/proxmox.md.
    for inputs in _containers(prod).values():
        assert inputs["unprivileged"] is True
        assert inputs["features"] == {"nesting": True}


def test_containers_wait_for_the_bridge_the_merge_and_the_storage_content(
    prod: PlanResult,
) -> None:
    urns = {r.name: r.urn for r in prod.resources}
    needed = {urns["ax102-nat-bridge"], urns["ax102-merge-data"], urns["ax102-storage-content"]}
    for resource in prod.resources:
        if resource.type == "proxmoxve:index/containerLegacy:ContainerLegacy":
            assert needed <= set(resource.dependencies), resource.name


def test_stateful_services_are_protected(prod: PlanResult) -> None:
    protected = {
        r.name.removesuffix("-container")
        for r in prod.resources
        if r.type == "proxmoxve:index/containerLegacy:ContainerLegacy" and r.protect
    }
    # The proxy holds Nginx Proxy Manager's database and its Let's Encrypt certificates.
    assert protected == {"proxy", "egress", "backend", "monitoring"}


def test_prod_has_no_policy_violation(prod: PlanResult) -> None:
    assert prod.config_error is None
    assert prod.violations == []


def test_component_tree_and_type_tokens(prod: PlanResult) -> None:
    types = {r.name: r.type for r in prod.resources}
    assert types["ax102"] == "selfhosted:proxmox:ProxmoxNode"
    assert types["ax102-nat"] == "selfhosted:proxmox:NatBridge"
    assert types["livekit"] == "selfhosted:proxmox:LxcService"
    urns = {r.urn: r for r in prod.resources}
    for resource in prod.resources:
        if resource.type.startswith("selfhosted:") or resource.type == "pulumi:pulumi:Stack":
            continue
        parent = urns[resource.parent]
        # Children are named after their component: "<component>-<role>".
        assert resource.name.startswith(f"{parent.name}-"), resource.name
