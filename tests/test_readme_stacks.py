"""README's stack table lists exactly the repository's stacks (its Pulumi.<stack>.yaml files)."""

from __future__ import annotations

import re

from tests.stacks import ROOT, STACKS


def test_the_readme_table_has_a_row_per_stack_file() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| stack | seed | what |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|", table, re.M)
    assert sorted(rows) == sorted(STACKS)
    assert len(rows) == len(set(rows))
