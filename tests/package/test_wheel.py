"""The built wheel, installed into a clean virtual environment, as another team gets it.

The wheel is built once (``uv build --wheel``), installed with ``uv pip install`` into a new
venv (offline from uv's cache when it holds every dependency, else from PyPI), and the foreign
program ``examples/python/__main__.py`` (copied out of the checkout) is planned there under
Pulumi's mocks and checked by the installed policy pack, with the working directory outside
the repository: nothing can come from the checkout, and ``components.__file__`` shows it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from components import names
from tests.policies.rule_ids import RULE_IDS

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"
EXAMPLE = ROOT / "examples" / "python" / "__main__.py"
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

# Runs inside the clean venv: the program under mocks, then the installed policy pack over it.
PLAN = """
import json, sys
from pathlib import Path

import components
from components.plan import PolicyPackProcess, policy_pack_dir, run_program
from components.plan.policy_runner import load_policy_config

config = json.loads(sys.argv[1])
run = run_program(
    Path("program/__main__.py"), project="team-app", stack="dev",
    config=config, secret_keys=set(config),
)
pack_dir = policy_pack_dir()
with PolicyPackProcess(pack_dir) as pack:
    pack.configure(load_policy_config(pack_dir / "policy-config.json"))
    findings = pack.findings(run.resources)
    policies = [p.name for p in pack.policies()]
print(json.dumps({
    "components": components.__file__,
    "pack": str(pack_dir),
    "error": repr(run.error) if run.error else None,
    "resources": [
        {"type": r.type, "name": r.name, "parent": r.parent, "protect": r.protect,
         "inputs": r.inputs}
        for r in run.resources
    ],
    "outputs": run.outputs,
    "policies": policies,
    "violations": [[v.policy, v.level, v.urn] for v in findings.violations],
}))
"""


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(UV, "build", "--wheel", "--out-dir", out, ROOT, cwd=out)
    (built,) = out.glob("selfhosted_platform-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("clean")
    venv = base / "venv"
    _run(UV, "venv", "--quiet", "--python", sys.executable, venv, cwd=base)
    python = venv / "bin" / "python"
    install = [UV, "pip", "install", "--quiet", "--python", python, wheel]
    try:
        _run(*install, "--offline", cwd=base)
    except AssertionError:  # the cache lacks a dependency: ask PyPI
        _run(*install, cwd=base)
    return venv


@pytest.fixture(scope="module")
def planned(venv: Path) -> dict[str, Any]:
    workdir = venv.parent / "work"
    (workdir / "program").mkdir(parents=True)
    shutil.copy(EXAMPLE, workdir / "program" / "__main__.py")
    (workdir / "plan.py").write_text(PLAN)
    config = {
        "team-app:host": "203.0.113.7",
        "team-app:hostKey": HOST_KEY,
        "team-app:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----",
        "team-app:dbPassword": "example-password",
    }
    out = _run(venv / "bin" / "python", "plan.py", json.dumps(config), cwd=workdir)
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result


def test_the_wheel_holds_the_library_and_the_pack_not_the_stacks(wheel: Path) -> None:
    files = zipfile.ZipFile(wheel).namelist()
    tops = {f.split("/")[0] for f in files if not f.startswith("selfhosted_platform-")}
    assert tops == {"components", "policies"}
    assert "policies/PulumiPolicy.yaml" in files
    assert "policies/policy-config.json" in files
    assert "components/provider/PulumiPlugin.yaml" in files
    assert not [f for f in files if "__pycache__" in f or f.startswith("policies/venv")]


def test_the_foreign_program_plans_from_the_installed_package(
    planned: dict[str, Any], venv: Path
) -> None:
    assert planned["error"] is None
    assert Path(planned["components"]).is_relative_to(venv)
    assert not Path(planned["components"]).is_relative_to(ROOT)
    by_name = {r["name"]: r for r in planned["resources"]}
    engine = "app-engine"
    assert by_name[engine]["type"] == "selfhosted:docker:DockerEngine"
    assert by_name[names.child(engine, names.READY)]["type"] == "command:remote:Command"
    assert by_name[names.child(engine, names.PROVIDER)]["type"] == "pulumi:providers:docker"
    network = by_name[names.child(engine, "app")]
    assert network["type"] == "docker:index/network:Network"
    assert network["inputs"]["internal"] is True
    container = by_name[names.child("postgres", names.CONTAINER)]
    assert container["inputs"]["image"] == "postgres:16.4"
    assert container["inputs"]["name"] == "postgres"  # stateful: a fixed name
    assert by_name[names.volume("postgres", "postgres-data")]["protect"] is True
    assert planned["outputs"] == {"database": "postgres"}


def test_the_installed_policy_pack_runs_and_passes_the_program(
    planned: dict[str, Any], venv: Path
) -> None:
    assert Path(planned["pack"]).is_relative_to(venv)
    assert sorted(planned["policies"]) == sorted(RULE_IDS)
    assert [v for v in planned["violations"] if v[1] == "mandatory"] == []


def test_the_readme_shows_the_program_that_runs() -> None:
    text = (ROOT / "README.md").read_text()
    shown = re.search(
        r"<!-- example: foreign-program \(examples/python/__main__.py\) -->\n```python\n(.*?)```",
        text,
        re.S,
    )
    assert shown is not None
    assert shown.group(1) == EXAMPLE.read_text()
