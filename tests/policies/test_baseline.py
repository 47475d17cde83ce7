"""The compliant baselines every case starts from: the WHOLE pack accepts them, so a case that
changes one thing and fails proves that one thing trips its rule."""

from __future__ import annotations

from components.plan.policy_runner import PolicyPackProcess

from .conftest import check, container, lxc
from .fixtures_cloud import BASELINE


def test_compliant_container_is_accepted_by_every_rule(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_cloud_baseline_is_accepted_by_every_rule(pack: PolicyPackProcess) -> None:
    assert pack.check(BASELINE) == []


def test_compliant_lxc_is_accepted_by_every_rule(pack: PolicyPackProcess) -> None:
    assert pack.check([lxc("proxy")]) == []
    assert pack.check([lxc("proxy", features=None)]) == []


def test_findings_of_the_baselines_are_empty_in_explain_mode_too(pack: PolicyPackProcess) -> None:
    """No exception is declared in the baselines, so none is applied."""
    assert pack.findings([*BASELINE, container("db2")]).exceptions == []
