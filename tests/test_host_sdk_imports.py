"""A stack loads the provider SDKs of its own host kinds only: a droplet stack never imports the
Proxmox or Hetzner SDK (the host builders import their modules when called)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.golden.update import stacks
from tests.stacks import ROOT

HOST_SDKS = {
    "proxmox": "pulumi_proxmoxve",
    "droplet": "pulumi_digitalocean",
    "hcloud": "pulumi_hcloud",
}

CHECK = """
import json, pathlib, sys
from components.plan import read_stack_config, run_program
config = read_stack_config(pathlib.Path(sys.argv[1]))
run = run_program(pathlib.Path("__main__.py"), project="p", stack=sys.argv[2],
                  config=config.values, secret_keys=config.secret_keys)
assert run.error is None, run.error
print(json.dumps(sorted(m for m in sys.argv[3:] if m in sys.modules)))
"""


@pytest.mark.parametrize("stack", stacks())
def test_a_stack_imports_only_its_own_host_sdks(stack: str) -> None:
    stack_file = ROOT / f"Pulumi.{stack}.yaml"
    hosts = yaml.safe_load(stack_file.read_text())["config"]["platform:hosts"]
    wanted = sorted({HOST_SDKS[h["kind"]] for h in hosts.values() if h["kind"] in HOST_SDKS})
    result = subprocess.run(
        [sys.executable, "-c", CHECK, str(stack_file), stack, *sorted(HOST_SDKS.values())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(result.stdout) == wanted
