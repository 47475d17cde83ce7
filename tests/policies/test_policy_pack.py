"""The pack's metadata as the engine reads it (GetAnalyzerInfo)."""

from __future__ import annotations

import json
import sys

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import StackValidationPolicy

from components.plan.policy_runner import PolicyPackProcess

from .conftest import PACK_DIR
from .rule_ids import RULE_IDS

sys.path.insert(0, str(PACK_DIR))  # the pack's modules import as the pack process does

from lib import discovery

UPDATE_TABLE = (
    "the pack's rules differ from tests/policies/rule_ids.py: a rule added, removed or renamed, "
    "or an id changed, must be written there (ids are never renumbered or reused)"
)

LEVEL_FOR_SEVERITY = {
    (analyzer_pb2.MANDATORY, analyzer_pb2.POLICY_SEVERITY_CRITICAL),
    (analyzer_pb2.MANDATORY, analyzer_pb2.POLICY_SEVERITY_HIGH),
    (analyzer_pb2.ADVISORY, analyzer_pb2.POLICY_SEVERITY_MEDIUM),
    (analyzer_pb2.ADVISORY, analyzer_pb2.POLICY_SEVERITY_LOW),
}


def test_discovered_rules_are_the_frozen_table(pack: PolicyPackProcess) -> None:
    found = {p.name: p.rule_id for p in pack.policies()}
    assert {
        "added": sorted(set(found) - set(RULE_IDS)),
        "removed": sorted(set(RULE_IDS) - set(found)),
        "id changed": {
            n: (RULE_IDS[n], found[n])
            for n in found.keys() & RULE_IDS.keys()
            if found[n] != RULE_IDS[n]
        },
    } == {"added": [], "removed": [], "id changed": {}}, UPDATE_TABLE


def test_the_pack_registers_what_discovery_finds_sorted_by_name(pack: PolicyPackProcess) -> None:
    """The pack process and an import of the same modules agree, and the order is stable."""
    discovered = discovery.discover(PACK_DIR)
    assert [p.name for p in pack.info().policies] == [r.name for r in discovered]
    assert [r.name for r in discovered] == sorted(RULE_IDS)


def test_pack_info(pack: PolicyPackProcess) -> None:
    info = pack.info()
    assert info.name == "selfhosted-platform"
    assert info.supportsConfig
    kinds = {
        r.name: analyzer_pb2.POLICY_TYPE_STACK
        if isinstance(r.policy, StackValidationPolicy)
        else analyzer_pb2.POLICY_TYPE_RESOURCE
        for r in discovery.discover(PACK_DIR)
    }
    assert {p.name: p.policy_type for p in info.policies} == kinds
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
    assert set(schemas) == set(RULE_IDS)
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
    assert set(described) == set(RULE_IDS)
    for policy in described.values():
        expected = "mandatory" if policy.severity in ("critical", "high") else "advisory"
        assert policy.level == expected, policy.name
        assert policy.severity != "unspecified", policy.name
        assert policy.description, policy.name
        assert policy.remediation.strip(), policy.name


def test_cis_references(pack: PolicyPackProcess) -> None:
    described = {p.name: p for p in pack.policies()}
    cis = {name: p.cis for name, p in described.items() if p.cis}
    assert cis["docker-container-no-host-device"] == "5.17"
    assert cis["docker-container-no-shared-mount-propagation"] == "5.19"
    assert cis["docker-container-not-privileged"] == "5.4"
    assert cis["docker-container-no-docker-socket"] == "5.31"
    assert all(name.startswith("docker-") for name in cis)
