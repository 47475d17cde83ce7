"""The cAdvisor command the plan derives against cAdvisor's source (tests/provider_facts/
cadvisor.py): every container_* series the alert rules and the dashboards read is still
collected, the flags exist and change what their defaults do, and the kinds are ones
``--enable_metrics`` accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.derive.plan import stack_plan
from components.render.alert_rules import rule_files
from tests.provider_facts.cadvisor import FLAGS, KINDS, SERIES_KIND
from tests.stacks import ROOT, stack_spec

DASHBOARDS = ROOT / "components" / "apps" / "dashboards"


@pytest.fixture(scope="module")
def command() -> dict[str, str]:
    plan = stack_plan(stack_spec("staging"))
    (cadvisor,) = (s for s in plan.services.values() if s.name.startswith("cadvisor-"))
    flags = {}
    for argument in cadvisor.command:
        match = re.fullmatch(r"--([a-z_]+)=(.*)", argument)
        assert match, argument
        flags[match.group(1)] = match.group(2)
    return flags


def _series_read() -> set[str]:
    texts = [*rule_files().values(), *(p.read_text() for p in Path(DASHBOARDS).glob("*.json"))]
    return {name for text in texts for name in re.findall(r"\bcontainer_[a-z_]+\b", text)}


def test_the_series_read_are_known(command: dict[str, str]) -> None:
    # A series the facts do not place under a kind could be one the command leaves out.
    assert _series_read() <= set(SERIES_KIND)
    # The rules (restarts, OOM kills) and the containers dashboard (CPU, memory).
    assert _series_read() == set(SERIES_KIND)


def test_every_series_read_is_collected(command: dict[str, str]) -> None:
    enabled = set(command["enable_metrics"].split(","))
    assert enabled <= KINDS
    needed = {SERIES_KIND[name] for name in _series_read()} - {None}
    assert needed <= enabled


def test_the_flags_exist_and_leave_the_costly_defaults(command: dict[str, str]) -> None:
    assert set(command) <= set(FLAGS)
    changed = {flag for flag, value in command.items() if value != FLAGS[flag][0]}
    assert changed == set(command)
    assert command["docker_only"] == "true"
    # Fewer housekeepings than storage_duration (2 minutes) holds: a handful of samples kept.
    assert re.fullmatch(r"[0-9]+s", command["housekeeping_interval"])
    assert int(command["housekeeping_interval"][:-1]) >= 15
    # Disk usage (a du of every container's layer) is not collected.
    assert "disk" not in command["enable_metrics"].split(",")
