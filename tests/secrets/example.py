"""The example passphrase of the committed stack files (docs/secrets.md), and helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from components.plan.passphrase import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV
from tests.stacks import ROOT

# Public on purpose: it protects example values only. Real stacks use their own passphrase.
EXAMPLE_PASSPHRASE = "example-passphrase-do-not-use"


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """``python -m components ARGS`` with no passphrase variable unless ``env`` sets one."""
    base = {k: v for k, v in os.environ.items() if k not in {PASSPHRASE_ENV, PASSPHRASE_FILE_ENV}}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "components", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,  # no controlling terminal: getpass cannot prompt
    )
