"""`plan` blocks on a mandatory violation: a stack that forwards PostgreSQL exits 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.stacks import ROOT


def test_forwarding_a_database_port_is_a_mandatory_violation(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    # The backend's image is no database the spec knows, so the spec lets the forward through;
    # the pack knows 5432 is PostgreSQL's port and blocks it at the NAT ruleset.
    document["config"]["platform:services"]["backend"]["expose"].append(
        {"kind": "forward", "protocol": "tcp", "ports": 5432, "description": "oops"}
    )
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    result = subprocess.run(
        [sys.executable, "-m", "components", "plan", "prod", "--config", str(stack_file), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    mandatory = [v for v in report["violations"] if v["level"] == "mandatory"]
    assert [v["urn"].rpartition("::")[2] for v in mandatory] == ["ax102-nat-ruleset"]
    assert mandatory[0]["policy"].startswith("nat-forward-no-")
    assert "tcp 5432 -> 10.0.0.13" in mandatory[0]["message"]
    assert "(PostgreSQL)" in mandatory[0]["message"]
