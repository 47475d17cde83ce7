"""Rewrite the golden plans: ``python -m tests.golden.update [STACK ...]``.

Then add a row to ``tests/golden/CHANGES.md`` for every file that changed: its new sha256 and
why the plan changed. ``tests/test_golden_plans.py`` fails until the row is there.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from components.plan import plan_stack

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent


def stacks() -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def plan_text(stack: str) -> str:
    return json.dumps(plan_stack(ROOT, stack).as_json(), indent=2, sort_keys=True) + "\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str]) -> int:
    for stack in argv or stacks():
        path = GOLDEN / f"{stack}.json"
        before = sha256(path) if path.exists() else None
        path.write_text(plan_text(stack))
        after = sha256(path)
        print(f"{path.name}: {'unchanged' if before == after else after}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
