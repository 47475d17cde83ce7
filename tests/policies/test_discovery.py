"""The pack finds its rules by itself: a new rule module is picked up without editing a list,
and a module that breaks the convention stops the pack with a message instead of being
dropped. Each case runs a copy of the pack, with one module added, as its own process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.plan.policy_runner import PolicyPackError, PolicyPackProcess

from .conftest import PACK_DIR, resource
from .rule_ids import RULE_IDS

NETWORK = "docker:index/network:Network"


def rule_module(variable: str, name: str) -> str:
    return f'''"""{name}: a rule added by a test."""

from pulumi_policy import EnforcementLevel, Severity

from lib.rule import resource_rule

RESOURCE_TYPES = ("{NETWORK}",)


def _validate(args, report_violation):
    report_violation(f"Network {{args.name}} is reported by the added rule.", None)


{variable} = resource_rule(
    name="{name}",
    rule_id="TST-001",
    resource_types=RESOURCE_TYPES,
    description="Added rules are found.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation="None.",
    validate=_validate,
)
'''


def pack_with(tmp_path: Path, **modules: str) -> Path:
    """A copy of the pack with ``modules`` (module name -> source) added."""
    copy = tmp_path / "policies"
    shutil.copytree(PACK_DIR, copy, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    for name, source in modules.items():
        (copy / f"{name}.py").write_text(source)
    return copy


def test_a_new_rule_module_is_in_the_pack_in_name_order(tmp_path: Path) -> None:
    pack_dir = pack_with(
        tmp_path,
        aa_added_rule=rule_module("aa_added_rule", "aa-added-rule"),
        shared_helpers='"""A top-level module that builds no policy: not a rule."""\n\nX = 1\n',
    )
    with PolicyPackProcess(pack_dir) as pack:
        described = {p.name: p for p in pack.policies()}
        names = [p.name for p in pack.info().policies]
        assert names == sorted([*RULE_IDS, "aa-added-rule"])
        assert names[0] == "aa-added-rule"
        assert (described["aa-added-rule"].rule_id, described["aa-added-rule"].level) == (
            "TST-001",
            "advisory",
        )
        found = pack.check([resource(NETWORK, "lan", {"name": "lan", "driver": "bridge"})])
        assert [(v.policy, v.level, v.message) for v in found] == [
            (
                "aa-added-rule",
                "advisory",
                "Added rules are found.\nNetwork lan is reported by the added rule.",
            )
        ]


@pytest.mark.parametrize(
    ("module", "variable", "name", "problem"),
    [
        pytest.param(
            "aa_added_rule",
            "aa_added_rule",
            "aa-other-name",
            "aa_added_rule.py defines policy aa-other-name: a rule module is named after its "
            "policy (aa_other_name.py)",
            id="policy-not-named-after-its-module",
        ),
        pytest.param(
            "aa_added_rule",
            "aa_added_rul",
            "aa-added-rule",
            "policy aa-added-rule is built but not exported: its module aa_added_rule.py must "
            "define `aa_added_rule = ...`",
            id="misspelt-variable",
        ),
    ],
)
def test_a_module_that_breaks_the_convention_stops_the_pack(
    tmp_path: Path, module: str, variable: str, name: str, problem: str
) -> None:
    pack_dir = pack_with(tmp_path, **{module: rule_module(variable, name)})
    with pytest.raises(PolicyPackError) as raised:
        PolicyPackProcess(pack_dir).close()
    assert str(raised.value).splitlines()[-1] == f"lib.discovery.DiscoveryError: {problem}"
