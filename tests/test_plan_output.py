"""The plan's text and JSON: deterministic, with the stack outputs and a closing summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STACKS = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml")
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "components", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_plans_without_a_mandatory_violation(stack: str) -> None:
    result = _cli("plan", stack, "--json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    document = json.loads(result.stdout)
    assert [v for v in document["violations"] if v["level"] == "mandatory"] == []


def test_two_plans_are_byte_identical() -> None:
    first, second = _cli("plan", "hub"), _cli("plan", "hub")
    assert first.stdout == second.stdout
    first_json, second_json = _cli("plan", "hub", "--json"), _cli("plan", "hub", "--json")
    assert first_json.stdout == second_json.stdout
    urns = [r["urn"] for r in json.loads(first_json.stdout)["resources"]]
    assert urns == sorted(urns)


def test_text_shows_outputs_and_ends_with_a_summary() -> None:
    text = _cli("plan", "prod").stdout
    outputs = text[text.index("Outputs:") : text.index("Policies:")]
    assert '  publicAddresses: {"ax102": "203.0.113.10"}' in outputs
    assert '"npm-container": "platform:services.npm"' in outputs
    summary = text[text.index("Summary:") :].splitlines()
    resources = json.loads(_cli("plan", "prod", "--json").stdout)["resources"]
    assert summary[1] == f"  resources: {len(resources)}"
    containers = sum(r["type"] == "docker:index/container:Container" for r in resources)
    assert f"    {containers:>4}  docker:index/container:Container" in summary
    # prod's two declared exceptions (LiveKit, Egress) and those of the exporters the monitoring
    # set adds, one per excepted finding, as the JSON lists them.
    exceptions = json.loads(_cli("plan", "prod", "--json").stdout)["exceptions"]
    assert len(exceptions) > 2
    assert summary[-2:] == ["  violations: none", f"  exceptions applied: {len(exceptions)}"]


def test_matrix_prints_the_seed_table_shape() -> None:
    lines = _cli("plan", "hub", "--matrix").stdout.splitlines()
    # The seed's four networks, then platform:monitoring's, which no service of the seed joins.
    assert lines[0] == "| Service | web | shared | chat-internal | hub-internal | monitoring |"
    assert lines[2] == "| **traefik** | ✓ | ✗ | ✗ | ✗ | ✗ |"
