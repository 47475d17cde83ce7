"""Every rule's cases (``tests/policies/cases/*.py``) through the real pack, one harness."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from collections.abc import Iterator

import pytest

from components.plan.policy_runner import PolicyPackProcess

from . import cases as cases_package
from .conftest import not_run_prefix
from .harness import PREFIXES, RuleCases


def _all_cases() -> list[RuleCases]:
    found = []
    for module in pkgutil.iter_modules(cases_package.__path__):
        loaded = importlib.import_module(f"{cases_package.__name__}.{module.name}")
        found.append(loaded.CASES)
    return found


ALL = _all_cases()


@pytest.fixture
def configured(pack: PolicyPackProcess, request: pytest.FixtureRequest) -> Iterator[None]:
    rule: RuleCases = request.param
    pack.configure({rule.policy: dict(rule.config)} if rule.config else {})
    yield
    pack.configure({})


@pytest.mark.parametrize(
    ("rule", "configured"),
    [(r, r) for r in ALL],
    ids=[r.policy for r in ALL],
    indirect=["configured"],
)
@pytest.mark.usefixtures("configured")
def test_rule_cases(pack: PolicyPackProcess, rule: RuleCases) -> None:
    names = [case.resource.name for case in rule.cases]
    assert len(set(names)) == len(names), "case names are unique"
    for name in names:
        assert name.startswith(PREFIXES), f"{name}: name a case pass_, fail_, unknown_ or except_"
    described = {p.name: p for p in pack.policies()}
    assert rule.policy in described, f"the pack has no rule {rule.policy}"
    description = described[rule.policy].description

    findings = pack.findings([*rule.stack, *(case.resource for case in rule.cases)])
    got: dict[str, list[str]] = defaultdict(list)
    for violation in findings.violations:
        if violation.policy != rule.policy:
            continue
        name = violation.urn.rpartition("::")[2]
        if violation.message.startswith(not_run_prefix(rule.policy)):
            got[name].append(violation.message)
            continue
        assert violation.level == rule.level, f"{name}: level"
        head, _, detail = violation.message.partition("\n")
        assert head == description, f"{name}: the message starts with the description"
        got[name].append(detail)
    excepted: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for exception in findings.exceptions:
        if exception.policy == rule.policy:
            name = exception.urn.rpartition("::")[2]
            excepted[name].append((exception.reason, exception.source, exception.message))

    for case in rule.cases:
        name = case.resource.name
        expected = list(case.details)
        if case.unknown_path:
            assert got[name][:-1] == expected, name
            assert got[name][-1:], f"{name}: no not-run advisory"
            assert got[name][-1].startswith(not_run_prefix(rule.policy)), name
            assert f" at {case.unknown_path} can't be known during preview" in got[name][-1], name
            continue
        if case.reason:
            assert got[name] == [], name
            assert excepted[name] == [(case.reason, case.source, d) for d in expected], name
            continue
        assert got[name] == expected, name
        assert excepted[name] == [], name
    for name in names:
        kind = name.split("_", 1)[0] + "_"
        assert bool(got[name]) == (kind in ("fail_", "unknown_")), f"{name}: {kind} case"
