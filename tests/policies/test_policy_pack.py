"""The pack's metadata as the engine reads it (GetAnalyzerInfo)."""

from __future__ import annotations

import json

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from components.plan.policy_runner import PolicyPackProcess

from .conftest import PACK_DIR

POLICIES = {
    "cloud-firewall-restricted-inbound": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "command-no-plaintext-secret": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "digitalocean-database-restricted": analyzer_pb2.POLICY_TYPE_STACK,
    "docker-container-capabilities-dropped": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-cpu-limit": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-database-volume-protected": analyzer_pb2.POLICY_TYPE_STACK,
    "docker-container-healthcheck": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-image-pinned": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-default-credentials": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-docker-socket": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-host-device": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-host-namespace": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-new-privileges": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-plaintext-secret-env": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-public-admin-port": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-public-database-port": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-risky-capabilities": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-sensitive-host-path": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-shared-mount-propagation": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-unconfined-profile": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-not-privileged": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-port-explicit-address": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-resource-limits": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-restart-policy": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-network-no-uplink-macvlan": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "nat-forward-no-private-service-port": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "proxmox-container-nesting-unprivileged-only": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "proxmox-container-unprivileged": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "server-has-firewall-and-ssh-keys": analyzer_pb2.POLICY_TYPE_STACK,
    "stateful-resource-protected": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "uplink-single-mac": analyzer_pb2.POLICY_TYPE_STACK,
}
# Stable ids: never renumbered or reused; a new rule takes the next free number.
RULE_IDS = {
    "cloud-firewall-restricted-inbound": "CLD-001",
    "server-has-firewall-and-ssh-keys": "CLD-002",
    "digitalocean-database-restricted": "CLD-003",
    "command-no-plaintext-secret": "CMD-001",
    "docker-container-not-privileged": "DKR-001",
    "docker-container-no-sensitive-host-path": "DKR-002",
    "docker-container-no-docker-socket": "DKR-003",
    "docker-container-no-host-namespace": "DKR-004",
    "docker-container-no-risky-capabilities": "DKR-005",
    "docker-container-no-unconfined-profile": "DKR-006",
    "docker-container-no-new-privileges": "DKR-007",
    "docker-container-no-public-database-port": "DKR-008",
    "docker-container-no-public-admin-port": "DKR-009",
    "docker-container-port-explicit-address": "DKR-010",
    "docker-container-resource-limits": "DKR-011",
    "docker-container-restart-policy": "DKR-012",
    "docker-container-healthcheck": "DKR-013",
    "docker-container-image-pinned": "DKR-014",
    "docker-container-no-plaintext-secret-env": "DKR-015",
    "docker-container-no-default-credentials": "DKR-016",
    "docker-container-database-volume-protected": "DKR-017",
    "docker-container-no-host-device": "DKR-018",
    "docker-container-no-shared-mount-propagation": "DKR-019",
    "docker-container-cpu-limit": "DKR-020",
    "docker-container-capabilities-dropped": "DKR-021",
    "docker-network-no-uplink-macvlan": "NET-001",
    "uplink-single-mac": "NET-002",
    "nat-forward-no-private-service-port": "NET-003",
    "proxmox-container-unprivileged": "PVE-001",
    "proxmox-container-nesting-unprivileged-only": "PVE-002",
    "stateful-resource-protected": "STK-001",
}
LEVEL_FOR_SEVERITY = {
    (analyzer_pb2.MANDATORY, analyzer_pb2.POLICY_SEVERITY_CRITICAL),
    (analyzer_pb2.MANDATORY, analyzer_pb2.POLICY_SEVERITY_HIGH),
    (analyzer_pb2.ADVISORY, analyzer_pb2.POLICY_SEVERITY_MEDIUM),
    (analyzer_pb2.ADVISORY, analyzer_pb2.POLICY_SEVERITY_LOW),
}


def test_pack_info(pack: PolicyPackProcess) -> None:
    info = pack.info()
    assert info.name == "selfhosted-platform"
    assert info.supportsConfig
    assert {p.name: p.policy_type for p in info.policies} == POLICIES
    for policy in info.policies:
        # The pack's convention: MANDATORY for CRITICAL and HIGH, ADVISORY for MEDIUM and LOW.
        assert (policy.enforcementLevel, policy.severity) in LEVEL_FOR_SEVERITY, policy.name
        assert policy.description.strip(), policy.name
        assert policy.remediation_steps.strip(), policy.name


def test_config_schemas_match_the_shipped_config(pack: PolicyPackProcess) -> None:
    """Every key a policy declares ships in policy-config.json with its default, and only those."""
    schemas = {
        p.name: json_format.MessageToDict(p.configSchema.properties)
        for p in pack.info().policies
        if p.HasField("configSchema")
    }
    shipped = json.loads((PACK_DIR / "policy-config.json").read_text())
    exceptions = {"type": "object", "additionalProperties": {"type": "string"}}
    assert set(schemas) == set(POLICIES)
    for name, schema in schemas.items():
        assert schema.pop("exceptions") == exceptions, name  # every rule takes exceptions
    assert {name: set(schema) for name, schema in schemas.items() if schema} == {
        name: set(values) - {"enforcementLevel"} for name, values in shipped.items()
    }
    array_of_strings = {"type": "array", "items": {"type": "string"}}
    assert schemas["uplink-single-mac"] == {
        "uplinkBridges": array_of_strings,
        "allowedMacs": array_of_strings,
    }


def test_policies_metadata(pack: PolicyPackProcess) -> None:
    described = {p.name: p for p in pack.policies()}
    assert set(described) == set(POLICIES)
    for policy in described.values():
        expected = "mandatory" if policy.severity in ("critical", "high") else "advisory"
        assert policy.level == expected, policy.name
        assert policy.severity != "unspecified", policy.name
        assert policy.description, policy.name
        assert policy.remediation.strip(), policy.name


def test_stable_ids_and_cis_references(pack: PolicyPackProcess) -> None:
    described = {p.name: p for p in pack.policies()}
    assert {name: p.rule_id for name, p in described.items()} == RULE_IDS
    cis = {name: p.cis for name, p in described.items() if p.cis}
    assert cis["docker-container-no-host-device"] == "5.17"
    assert cis["docker-container-no-shared-mount-propagation"] == "5.19"
    assert cis["docker-container-not-privileged"] == "5.4"
    assert cis["docker-container-no-docker-socket"] == "5.31"
    assert all(name.startswith("docker-") for name in cis)
