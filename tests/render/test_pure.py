"""The renderers are pure: importing them never imports the Pulumi SDK."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "components.render.cloud_init",
    "components.render.docker_install",
    "components.render.livekit",
    "components.render.readiness",
    "components.render.ssh_config",
]


@pytest.mark.parametrize("module", MODULES)
def test_no_pulumi_import(module: str) -> None:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "print(sorted(m for m in sys.modules if m == 'pulumi' or m.startswith('pulumi')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
