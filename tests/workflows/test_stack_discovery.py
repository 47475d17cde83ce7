"""The matrix job (stacks.yml) finds stacks from Pulumi.<stack>.yaml: new stacks need no edit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from components.plan.stack_file import discover_stacks
from tests.stacks import ROOT
from tests.workflows.workflows import load, steps


def _discover(project: Path, order: str = "") -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the workflow's own discovery step, as the runner does (`shell: python3 {0}`)."""
    (step,) = [s for s in steps(load("stacks.yml"), "discover") if s.get("id") == "discover"]
    assert step["shell"] == "python3 {0}"
    script = project / "discover.py"
    script.write_text(step["run"])
    output = project / "github_output"
    output.write_text("")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=project,
        env={**os.environ, "GITHUB_OUTPUT": str(output), "ORDER": order},
        capture_output=True,
        text=True,
        check=False,
    )
    return result, output


def _stacks(output: Path) -> list[str]:
    (line,) = output.read_text().splitlines()
    key, _, value = line.partition("=")
    assert key == "stacks"
    stacks = json.loads(value)
    assert isinstance(stacks, list)
    return stacks


def test_the_repository_stacks_are_the_ones_the_tests_use(tmp_path: Path) -> None:
    for stack_file in ROOT.glob("Pulumi.*.yaml"):
        (tmp_path / stack_file.name).write_text("")
    result, output = _discover(tmp_path)
    assert result.returncode == 0, result.stderr
    assert _stacks(output) == discover_stacks(ROOT)


def test_new_stacks_are_found_and_the_order_puts_named_ones_first(tmp_path: Path) -> None:
    for stack in ("prod", "hub", "jupiter", "gaslyt", "skycloud"):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    (tmp_path / "Pulumi.yaml").write_text("name: x\n")  # the project file is not a stack
    result, output = _discover(tmp_path, order="staging hub prod")
    assert result.returncode == 0, result.stderr
    assert _stacks(output) == ["hub", "prod", "gaslyt", "jupiter", "skycloud"]
    assert "::warning::stack order names 'staging', which has no Pulumi.staging.yaml" in (
        result.stdout
    )


def test_no_stack_file_fails_the_job(tmp_path: Path) -> None:
    result, output = _discover(tmp_path)
    assert result.returncode == 1
    assert "::error::no Pulumi.<stack>.yaml file" in result.stderr
    assert output.read_text() == ""


def test_a_file_name_that_is_not_a_stack_name_fails_the_job(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.prod.yaml").write_text("")
    (tmp_path / "Pulumi.$(id).yaml").write_text("")
    result, output = _discover(tmp_path)
    assert result.returncode == 1
    assert "::error::not a stack name (letters, digits, '_', '.', '-'): ['$(id)']" in result.stderr
    assert output.read_text() == ""
