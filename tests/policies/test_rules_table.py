"""policies/README.md's generated tables match the running pack (regenerated in memory)."""

from __future__ import annotations

from types import ModuleType

import pytest

from components.plan.policy_runner import PolicyPackProcess
from policies.rules_table import (
    README,
    SECTIONS,
    RulesTableError,
    current_sections,
    module_for,
    resource_types,
    rewrite,
    rules,
    sections,
    unknown_value_decision,
)

REGENERATE = "policies/README.md is out of date: run .venv/bin/python policies/rules_table.py"


@pytest.fixture(scope="module")
def generated(pack: PolicyPackProcess) -> dict[str, str]:
    return sections(pack)


@pytest.mark.parametrize("section", SECTIONS)
def test_readme_section_matches_the_pack(generated: dict[str, str], section: str) -> None:
    assert current_sections(README.read_text())[section] == generated[section], REGENERATE


def test_rewriting_an_up_to_date_readme_changes_nothing(generated: dict[str, str]) -> None:
    readme = README.read_text()
    assert rewrite(readme, generated) == readme, REGENERATE


def test_every_registered_policy_is_in_the_table(
    pack: PolicyPackProcess, generated: dict[str, str]
) -> None:
    by_id = sorted(pack.policies(), key=lambda p: p.rule_id)
    rows = generated["rules"].splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == [p.name for p in by_id]
    # id and CIS reference lead each row
    assert [row.split(" | ")[0].strip("| ") for row in rows] == [p.rule_id for p in by_id]
    assert [row.split(" | ")[2] for row in rows] == [p.cis or "-" for p in by_id]


def test_every_policy_has_resource_types_and_an_unknown_value_decision(
    pack: PolicyPackProcess,
) -> None:
    for rule in rules(pack):
        assert rule.resource_types, rule.name
        assert "nknown" in rule.unknowns, rule.name


def test_every_config_key_is_explained(pack: PolicyPackProcess) -> None:
    """The config table is generated; what each key means is written by hand next to it."""
    readme = README.read_text()
    for section in SECTIONS:
        readme = readme.replace(current_sections(readme)[section], "")
    for rule in rules(pack):
        for key, _ in rule.config:
            assert f"`{key}`" in readme, f"policies/README.md does not explain {rule.name}.{key}"


def test_declared_resource_types_win() -> None:
    module = ModuleType("fake_policy")
    module.CONTAINER_TYPE = "docker:index/container:Container"  # type: ignore[attr-defined]
    module.RESOURCE_TYPES = ("docker:index/network:Network",)  # type: ignore[attr-defined]
    assert resource_types(module) == ("docker:index/network:Network",)


def test_a_module_without_resource_types_gets_none() -> None:
    module = ModuleType("fake_policy")
    module.CONTAINER_TYPE = "docker:index/container:Container"  # type: ignore[attr-defined]
    assert resource_types(module) == ()


def test_every_registered_policy_module_declares_its_types(pack: PolicyPackProcess) -> None:
    undeclared = [p.name for p in pack.policies() if not resource_types(module_for(p.name))]
    assert undeclared == []


def test_the_shipped_modules_declare_their_types() -> None:
    assert resource_types(module_for("command-no-plaintext-secret")) == (
        "command:remote:Command",
        "command:local:Command",
    )
    assert resource_types(module_for("uplink-single-mac")) == (
        "proxmoxve:network/linux/bridge:Bridge",
        "proxmoxve:network/linux/bridgeLegacy:BridgeLegacy",
        "proxmoxve:index/containerLegacy:ContainerLegacy",
        "proxmoxve:index/vmLegacy:VmLegacy",
    )


def test_unknown_value_decision_from_the_docstring() -> None:
    module = ModuleType(
        "fake_policy",
        "rule: a title.\n\nWhat it checks, in detail.\n\n"
        "The rule reads ``a``. Unknown values are deferred:\n"
        "the SDK reports it.\n",
    )
    assert unknown_value_decision(module) == "Unknown values are deferred: the SDK reports it."


def test_missing_markers_are_an_error(generated: dict[str, str]) -> None:
    with pytest.raises(RulesTableError, match="rules:start"):
        rewrite("# no markers\n", generated)
