"""The README's Python examples run as written, under Pulumi's mocks."""

from __future__ import annotations

import re
from pathlib import Path

from components.plan import run_program
from components.plan.recording import SECRET_SIG_KEY

ROOT = Path(__file__).resolve().parent.parent


def _example(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", text, re.S)
    assert match is not None, f"README has no example {name}"
    return match.group(1)


def test_container_service_example_declares_a_protected_stateful_service() -> None:
    code = _example("container-service")
    run = run_program(
        lambda: exec(compile(code, "README.md", "exec"), {}),
        project="team",
        stack="dev",
        config={"team:dbPassword": "example-password"},
        secret_keys={"team:dbPassword"},
    )
    assert run.error is None, run.error
    by_name = {r.name: r for r in run.resources}
    container = by_name["postgres-container"]
    assert container.inputs["name"] == "postgres"
    assert container.delete_before_replace is True
    assert by_name["postgres-postgres-data"].protect is True
    assert SECRET_SIG_KEY in container.inputs["envs"][0]
