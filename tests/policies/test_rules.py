"""Every rule's cases (``tests/policies/cases/<rule>.py``) through the real pack, one harness."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from components.plan.policy_runner import PolicyDescription, PolicyPackProcess, Violation

from . import cases as cases_package
from .conftest import not_run_prefix
from .harness import (
    PREFIXES,
    STACK_PREFIXES,
    STACK_WIDE,
    RuleCases,
    StackCase,
    not_run_detail,
    policy_of,
)
from .rule_ids import RULE_IDS

# How a configured enforcementLevel shows on a violation (the runner's, as the engine's).
_SHOWN_LEVEL = {"advisory": "advisory", "mandatory": "mandatory", "remediate": "mandatory"}


@dataclass(frozen=True)
class Suite:
    """One ``RuleCases`` of a case file, with the rule the file is named after."""

    policy: str
    rule: RuleCases

    @property
    def id(self) -> str:
        return f"{self.policy}/{self.rule.variant}" if self.rule.variant else self.policy

    def pack_config(self) -> Mapping[str, Mapping[str, Any]]:
        if self.rule.pack_config is not None:
            return self.rule.pack_config
        return {self.policy: dict(self.rule.config)} if self.rule.config else {}

    def level(self, described: PolicyDescription) -> str:
        """The level a rule's violations carry in this suite: the configured one, else the
        pack's."""
        configured = self.pack_config().get(described.name, {}).get("enforcementLevel")
        return described.level if configured is None else _SHOWN_LEVEL[configured]


def _suites() -> list[Suite]:
    found = []
    for module in pkgutil.iter_modules(cases_package.__path__):
        loaded = importlib.import_module(f"{cases_package.__name__}.{module.name}")
        cases = loaded.CASES
        for rule in [cases] if isinstance(cases, RuleCases) else cases:
            found.append(Suite(policy_of(module.name), rule))
    return found


SUITES = _suites()
STACK_CASES = [(suite, case) for suite in SUITES for case in suite.rule.stacks]


def _by_name(pack: PolicyPackProcess) -> dict[str, PolicyDescription]:
    return {p.name: p for p in pack.policies()}


def _report(violation: Violation, described: PolicyDescription, level: str) -> tuple[str, str]:
    """(resource name, detail) of a diagnostic, checking its level and description line; a
    not-run advisory keeps its whole message."""
    name = violation.urn.rpartition("::")[2]
    if violation.message.startswith(not_run_prefix(violation.policy)):
        assert violation.level == "advisory", f"{name}: a not-run diagnostic is advisory"
        return name, violation.message
    assert violation.level == level, f"{violation.policy} on {name}: level"
    head, _, detail = violation.message.partition("\n")
    assert head == described.description, f"{name}: the message starts with the description"
    return name, detail


def _reports(
    suite: Suite, violations: Sequence[Violation], described: Mapping[str, PolicyDescription]
) -> list[tuple[str, str]]:
    """(resource name, detail) of each diagnostic of the suite's rule, in order."""
    policy = described[suite.policy]
    return [_report(v, policy, suite.level(policy)) for v in violations if v.policy == suite.policy]


@pytest.fixture
def configured(pack: PolicyPackProcess, request: pytest.FixtureRequest) -> Iterator[Suite]:
    suite: Suite = request.param
    pack.configure(suite.pack_config())
    yield suite
    pack.configure({})


def test_every_rule_has_a_case_file_and_every_case_file_a_rule(pack: PolicyPackProcess) -> None:
    assert {s.policy for s in SUITES} == set(_by_name(pack)) == set(RULE_IDS)
    ids = [s.id for s in SUITES]
    assert len(set(ids)) == len(ids), "each variant of a rule's cases has its own name"


@pytest.mark.parametrize(
    "configured",
    [s for s in SUITES if s.rule.cases],
    ids=[s.id for s in SUITES if s.rule.cases],
    indirect=True,
)
def test_rule_cases(pack: PolicyPackProcess, configured: Suite) -> None:
    suite, rule = configured, configured.rule
    names = [case.resource.name for case in rule.cases]
    assert len(set(names)) == len(names), "case names are unique"
    for name in names:
        assert name.startswith(PREFIXES), f"{name}: name a case pass_, fail_, unknown_ or except_"
    described = _by_name(pack)
    assert suite.policy in described, f"the pack has no rule {suite.policy}"

    findings = pack.findings([*rule.stack, *(case.resource for case in rule.cases)])
    got: dict[str, list[str]] = defaultdict(list)
    for name, detail in _reports(suite, findings.violations, described):
        got[name].append(detail)
    excepted: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for exception in findings.exceptions:
        if exception.policy == suite.policy:
            name = exception.urn.rpartition("::")[2]
            excepted[name].append((exception.reason, exception.source, exception.message))
    assert set(got) | set(excepted) <= set(names), "the rule reports only on case resources"

    for case in rule.cases:
        name = case.resource.name
        expected = list(case.details)
        if case.unknown_path:
            assert got[name] == [
                *expected,
                not_run_prefix(suite.policy) + not_run_detail(case.unknown_path),
            ], name
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


@pytest.mark.parametrize(
    ("configured", "case"),
    STACK_CASES,
    ids=[f"{suite.id}/{case.name}" for suite, case in STACK_CASES],
    indirect=["configured"],
)
def test_stack_cases(pack: PolicyPackProcess, configured: Suite, case: StackCase) -> None:
    """A whole stack, analyzed on its own: exactly these diagnostics of the rule, in order."""
    suite = configured
    kind = case.name.split("_", 1)[0] + "_"
    assert kind in STACK_PREFIXES, f"{case.name}: name a stack case pass_, fail_ or unknown_"
    if kind != "unknown_":
        assert bool(case.reports) == (kind == "fail_"), f"{case.name}: {kind} case"
    assert bool(case.unknown_path) == (kind == "unknown_"), f"{case.name}: {kind} case"
    names = [r.name for r in case.resources]
    assert len(set(names)) == len(names), f"{case.name}: resource names are unique"
    described = _by_name(pack)

    findings = pack.findings(case.resources)
    expected = list(case.reports)
    if case.unknown_path:
        stack_wide = not_run_prefix(suite.policy) + not_run_detail(case.unknown_path)
        expected.append((STACK_WIDE, stack_wide))
    assert _reports(suite, findings.violations, described) == expected
    assert [e for e in findings.exceptions if e.policy == suite.policy] == []
    if case.others is None:
        return
    others = [
        (v.policy, *_report(v, described[v.policy], suite.level(described[v.policy])))
        for v in findings.violations
        if v.policy != suite.policy
    ]
    assert others == list(case.others), "the other rules' diagnostics"
