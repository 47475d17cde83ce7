"""Every stack's plan is its golden copy: a refactor changes nothing it does not mean to.

A plan that differs fails with the resources that differ; a golden file changed without a row
in ``tests/golden/CHANGES.md`` (its sha256 and why) fails too.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.golden.update import GOLDEN, plan_text, sha256, stacks

CHANGES = GOLDEN / "CHANGES.md"
_ROW = re.compile(r"^\| (?P<file>[\w.-]+\.json) \| (?P<sha>[0-9a-f]{64}) \| (?P<why>.*\S.*) \|$")


def _by_urn(document: dict[str, Any]) -> dict[str, Any]:
    return {r["urn"]: r for r in document["resources"]}


@pytest.mark.parametrize("stack", stacks())
def test_plan_is_the_golden_copy(stack: str) -> None:
    path = GOLDEN / f"{stack}.json"
    assert path.exists(), f"{path.name} is missing: run python -m tests.golden.update {stack}"
    golden, now = json.loads(path.read_text()), json.loads(plan_text(stack))
    if golden == now:
        return
    old, new = _by_urn(golden), _by_urn(now)
    changed = sorted(u for u in old.keys() & new.keys() if old[u] != new[u])
    lines = [
        *(f"removed: {u}" for u in sorted(old.keys() - new.keys())),
        *(f"added:   {u}" for u in sorted(new.keys() - old.keys())),
        *(f"changed: {u}" for u in changed),
        *(f"{key} differ" for key in golden if key != "resources" and golden[key] != now[key]),
    ]
    pytest.fail(
        f"the plan of {stack} is not {path.name}:\n"
        + "\n".join(lines)
        + "\nIf this is on purpose: python -m tests.golden.update, and say why in CHANGES.md"
    )


def test_every_golden_file_has_its_reason() -> None:
    rows = [m for line in CHANGES.read_text().splitlines() if (m := _ROW.match(line))]
    recorded = {(m["file"], m["sha"]) for m in rows}
    missing = [
        path.name
        for path in sorted(GOLDEN.glob("*.json"))
        if (path.name, sha256(path)) not in recorded
    ]
    assert missing == [], f"no row in CHANGES.md for the current {missing}"


def test_every_stack_has_a_golden_plan() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == stacks()
