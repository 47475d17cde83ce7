"""`python -m components render` output, checked by the real Debian tools that read it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stacks import ROOT

EXPECTED = {
    "nftables.conf",
    "sysctl.d/99-platform-forwarding.conf",
    "systemd/platform-nat.service",
    "prepare-host.sh",
    "apply-nat.sh",
    "merge-data-into-root.sh",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render")
    subprocess.run(
        [sys.executable, "-m", "components", "render", "prod", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return out / "ax102"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run `bash scripts/test.sh`, which installs it")
    return path


def test_render_writes_the_host_files(rendered: Path) -> None:
    files = {str(p.relative_to(rendered)) for p in rendered.rglob("*") if p.is_file()}
    assert files == EXPECTED
    assert (rendered / "apply-nat.sh").stat().st_mode & 0o111


def test_ruleset_passes_nft_check(rendered: Path) -> None:
    result = subprocess.run(
        [_tool("nft"), "-c", "-f", str(rendered / "nftables.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_nft_check_rejects_a_broken_ruleset(rendered: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.nft"
    broken.write_text((rendered / "nftables.conf").read_text().replace("dnat to", "dnat too"))
    result = subprocess.run(
        [_tool("nft"), "-c", "-f", str(broken)], capture_output=True, check=False
    )
    assert result.returncode != 0


@pytest.mark.parametrize("script", ["prepare-host.sh", "apply-nat.sh", "merge-data-into-root.sh"])
def test_scripts_pass_shellcheck(rendered: Path, script: str) -> None:
    result = subprocess.run(
        [_tool("shellcheck"), "-s", "sh", str(rendered / script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_sysctl_file_enables_forwarding(rendered: Path) -> None:
    lines = (rendered / "sysctl.d/99-platform-forwarding.conf").read_text().splitlines()
    settings = [line.replace(" ", "") for line in lines if line and not line.startswith("#")]
    assert settings == ["net.ipv4.ip_forward=1"]


def test_systemd_unit_verifies(rendered: Path, tmp_path: Path) -> None:
    unit = tmp_path / "platform-nat.service"
    unit.write_text((rendered / "systemd/platform-nat.service").read_text())
    result = subprocess.run(
        [_tool("systemd-analyze"), "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
