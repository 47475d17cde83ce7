"""The repository's GitHub Actions workflows, loaded once for the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.stacks import ROOT

WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOW_DIR.glob("*.yml")) + sorted(WORKFLOW_DIR.glob("*.yaml"))
TOOLS = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def load(name: str) -> dict[str, Any]:
    document = YAML(typ="safe", pure=True).load((WORKFLOW_DIR / name).read_text())
    assert isinstance(document, dict)
    return document


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 readers turn the key `on` into True; ruamel (YAML 1.2) keeps "on".
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    found = workflow["jobs"][job]["steps"]
    assert isinstance(found, list)
    return found
