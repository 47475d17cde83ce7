"""The NPM objects' inputs do not depend on where the project is checked out: the same stack
planned from two copies of the project at different paths (as CI clones to a new temporary
directory each run) gives byte-identical inputs, so no NPM object shows as an update. Each copy
runs in its own interpreter, with the copy as the working directory and its own
``components`` imported (tests/proxies/checkout_plan.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.plan.recording import SECRET_SIG_KEY
from tests.stacks import ROOT

PLANNER = Path(__file__).with_name("checkout_plan.py")
NPM_STACKS = ("skycloud", "prod")


def _copy(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in ("components", "policies"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for path in [ROOT / "__main__.py", ROOT / "Pulumi.yaml", *ROOT.glob("Pulumi.*.yaml")]:
        shutil.copy(path, target / path.name)
    shutil.copy(PLANNER, target / PLANNER.name)
    return target


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("checkouts")
    return _copy(base / "a"), _copy(base / "ci-runner" / "work" / "clone-7f3e")


def _plan(checkout: Path, stack: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, PLANNER.name, stack],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    planned: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    assert Path(planned["components"]).is_relative_to(checkout), "the copy's own components"
    return planned


@pytest.mark.parametrize("stack", NPM_STACKS)
def test_npm_objects_are_the_same_from_two_checkouts(
    checkouts: tuple[Path, Path], stack: str
) -> None:
    first, second = (_plan(checkout, stack) for checkout in checkouts)
    assert any(name.startswith("npm-routes-proxy-host-") for name in first["dynamic"])
    assert first["dynamic"] == second["dynamic"]
    for checkout, planned in zip(checkouts, (first, second), strict=True):
        text = json.dumps(planned["dynamic"])
        assert str(checkout) not in text
        for name, inputs in planned["dynamic"].items():
            api = inputs["api"]
            # A secret (its Output carries the ssh key's secrecy): unwrapped to compare.
            if isinstance(api, dict) and SECRET_SIG_KEY in api:
                api = api["value"]
            assert isinstance(api, dict), f"{name}: api is known"
            # Resolved in this checkout, it is the ssh_config the program writes there.
            config = checkout / api["sshConfig"]
            assert str(config.parent) in planned["written"], name
            assert config.name == "config"
