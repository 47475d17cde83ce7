"""Every workflow passes actionlint and the GitHub workflow JSON schema; both can fail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.stacks import ROOT
from tests.tools import require
from tests.workflows.workflows import TOOLS, WORKFLOW_DIR, WORKFLOW_FILES


def actionlint(project: Path) -> subprocess.CompletedProcess[str]:
    # Run at the project root so `uses: ./.github/workflows/x.yml` resolves and its inputs,
    # outputs and secrets are checked; shellcheck (installed by scripts/test.sh) checks `run:`.
    files = sorted(
        str(p.relative_to(project)) for p in (project / ".github/workflows").glob("*.y*ml")
    )
    return subprocess.run(
        [str(TOOLS / "actionlint"), "-no-color", *files],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def schema_check(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(TOOLS / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_workflows_exist() -> None:
    names = {p.name for p in WORKFLOW_FILES}
    assert {"ci.yml", "preview.yml", "deploy.yml", "drift.yml", "stacks.yml"} <= names


def test_actionlint_passes_with_shellcheck() -> None:
    require("shellcheck")  # actionlint runs it on the workflows' scripts
    result = actionlint(ROOT)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("workflow", WORKFLOW_FILES, ids=lambda p: p.name)
def test_github_workflow_schema_passes(workflow: Path) -> None:
    result = schema_check(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.fixture
def broken_project(tmp_path: Path) -> Path:
    """A copy of the workflows in a git repository, for mutations."""
    shutil.copytree(WORKFLOW_DIR, tmp_path / ".github" / "workflows")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_actionlint_catches_a_wrong_input_to_the_reusable_workflow(broken_project: Path) -> None:
    drift = broken_project / ".github/workflows/drift.yml"
    drift.write_text(drift.read_text().replace("drift: true", "drfit: true"))
    result = actionlint(broken_project)
    assert result.returncode == 1
    assert 'input "drfit" is not defined in "./.github/workflows/pulumi-stack.yml"' in result.stdout


def test_actionlint_catches_a_shell_error(broken_project: Path) -> None:
    ci = broken_project / ".github/workflows/ci.yml"
    text = ci.read_text()
    assert '>> "$GITHUB_STEP_SUMMARY"' in text
    ci.write_text(text.replace('>> "$GITHUB_STEP_SUMMARY"', ">> $GITHUB_STEP_SUMMARY"))
    result = actionlint(broken_project)
    assert result.returncode == 1
    assert "SC2086" in result.stdout  # shellcheck: unquoted variable


def test_the_schema_catches_an_unknown_job_key(broken_project: Path) -> None:
    deploy = broken_project / ".github/workflows/deploy.yml"
    deploy.write_text(deploy.read_text().replace("max-parallel: 1", "max-paralel: 1"))
    result = schema_check(deploy)
    assert result.returncode == 1
    assert "Schema validation errors were encountered" in result.stdout + result.stderr
