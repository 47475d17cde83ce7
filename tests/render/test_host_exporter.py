"""The Proxmox host's node exporter step: shellcheck on the script, its ARGS run by Debian's
prometheus-node-exporter (the bookworm package Proxmox VE 8 installs), and its place in prod's
plan: on the bridge address of the stack file, after the bridge, scraped as the host."""

from __future__ import annotations

import shlex
import subprocess
import urllib.request
from pathlib import Path

import yaml

from components.plan import plan_stack
from components.render.host_exporter import (
    DEFAULTS_FILE,
    host_node_exporter_script,
    node_exporter_defaults,
)
from tests.render.test_docker_install import shellcheck
from tests.render.tools import free_port, tool, wait_for
from tests.stacks import ROOT

PROD = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
BRIDGE_ADDRESS = PROD["platform:hosts"]["ax102"]["natBridge"]["address"].split("/")[0]


def test_the_script_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck(host_node_exporter_script(f"{BRIDGE_ADDRESS}:9100"), tmp_path, "sh")


def test_debians_exporter_runs_with_the_args(tmp_path: Path) -> None:
    port = free_port()
    defaults = tmp_path / "defaults"
    defaults.write_text(node_exporter_defaults(f"127.0.0.1:{port}"))
    # The unit reads the file as an EnvironmentFile and passes $ARGS, word-split, to the binary.
    (line,) = [x for x in defaults.read_text().splitlines() if x.startswith("ARGS=")]
    args = shlex.split(line.removeprefix("ARGS="))[0].split()
    process = subprocess.Popen(
        [tool("prometheus-node-exporter"), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as r:
                    return b"node_textfile_scrape_error" in r.read()
            except OSError:
                return False

        wait_for(answers, "the node exporter's metrics", timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_prod_declares_it_on_the_bridge_address_after_the_bridge() -> None:
    resources = {r.name: r for r in plan_stack(ROOT, "prod").resources}
    step = resources["ax102-node-exporter"]
    assert step.type == "command:remote:Command"
    assert f"--web.listen-address={BRIDGE_ADDRESS}:9100" in step.inputs["create"]
    assert DEFAULTS_FILE in step.inputs["create"]
    assert resources["ax102-nat-bridge"].urn in step.dependencies
