"""The pack's metadata as the engine reads it (GetAnalyzerInfo)."""

from __future__ import annotations

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from components.plan.policy_runner import PolicyPackProcess

POLICIES = {
    "docker-container-no-public-database-port": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "nat-forward-no-database-port": analyzer_pb2.POLICY_TYPE_RESOURCE,
    "uplink-single-mac": analyzer_pb2.POLICY_TYPE_STACK,
}


def test_pack_info(pack: PolicyPackProcess) -> None:
    info = pack.info()
    assert info.name == "selfhosted-platform"
    assert info.supportsConfig
    assert {p.name: p.policy_type for p in info.policies} == POLICIES
    for policy in info.policies:
        assert policy.enforcementLevel == analyzer_pb2.MANDATORY, policy.name
        assert policy.severity == analyzer_pb2.POLICY_SEVERITY_CRITICAL, policy.name
        assert policy.description.strip(), policy.name
        assert policy.remediation_steps.strip(), policy.name


def test_only_uplink_policy_takes_config(pack: PolicyPackProcess) -> None:
    schemas = {
        p.name: json_format.MessageToDict(p.configSchema.properties)
        for p in pack.info().policies
        if p.HasField("configSchema")
    }
    array_of_strings = {"type": "array", "items": {"type": "string"}}
    assert schemas == {
        "uplink-single-mac": {"uplinkBridges": array_of_strings, "allowedMacs": array_of_strings}
    }


def test_policies_metadata(pack: PolicyPackProcess) -> None:
    described = {p.name: p for p in pack.policies()}
    assert set(described) == set(POLICIES)
    for policy in described.values():
        assert policy.level == "mandatory", policy.name
        assert policy.severity == "critical", policy.name
        assert policy.description, policy.name
        assert policy.remediation.strip(), policy.name
