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
    "docker-container-database-volume-protected": analyzer_pb2.POLICY_TYPE_STACK,
    "docker-container-healthcheck": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-image-pinned": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-default-credentials": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-docker-socket": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-host-namespace": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-new-privileges": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-plaintext-secret-env": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-public-admin-port": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-public-database-port": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-risky-capabilities": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "docker-container-no-sensitive-host-path": analyzer_pb2.POLICY_TYPE_RESOURCE,
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
    assert {name: set(schema) for name, schema in schemas.items()} == {
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
