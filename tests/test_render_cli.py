"""`python -m components render` output, checked by the real Debian tools that read it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from components.render.storage_merge import merge_data_script
from tests.stacks import ROOT
from tests.tools import tool

EXPECTED = {
    "nftables.conf",
    "sysctl.d/99-platform-forwarding.conf",
    "systemd/platform-nat.service",
    "systemd/nftables.service.d/platform-nat.conf",
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


def test_render_writes_the_host_files(rendered: Path) -> None:
    files = {str(p.relative_to(rendered)) for p in rendered.rglob("*") if p.is_file()}
    assert files == EXPECTED
    assert (rendered / "apply-nat.sh").stat().st_mode & 0o111


def test_ruleset_passes_nft_check(rendered: Path) -> None:
    result = subprocess.run(
        [tool("nft"), "-c", "-f", str(rendered / "nftables.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_nft_check_rejects_a_broken_ruleset(rendered: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.nft"
    broken.write_text((rendered / "nftables.conf").read_text().replace("dnat to", "dnat too"))
    result = subprocess.run(
        [tool("nft"), "-c", "-f", str(broken)], capture_output=True, check=False
    )
    assert result.returncode != 0


@pytest.mark.parametrize("script", ["prepare-host.sh", "apply-nat.sh", "merge-data-into-root.sh"])
def test_scripts_pass_shellcheck(rendered: Path, script: str) -> None:
    result = subprocess.run(
        [tool("shellcheck"), "-s", "sh", str(rendered / script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_sysctl_file_enables_forwarding(rendered: Path) -> None:
    lines = (rendered / "sysctl.d/99-platform-forwarding.conf").read_text().splitlines()
    settings = [line.replace(" ", "") for line in lines if line and not line.startswith("#")]
    assert settings == ["net.ipv4.ip_forward=1"]


def test_systemd_units_verify(rendered: Path, tmp_path: Path) -> None:
    # Our unit, and Debian's nftables.service (from the installed package) with our drop-in.
    debian_unit = Path("/lib/systemd/system/nftables.service")
    if not debian_unit.exists():
        pytest.fail("nftables is not installed; run `bash scripts/test.sh`, which installs it")
    (tmp_path / "nftables.service.d").mkdir()
    (tmp_path / "nftables.service").write_text(debian_unit.read_text())
    for name in ("platform-nat.service", "nftables.service.d/platform-nat.conf"):
        (tmp_path / name).write_text((rendered / "systemd" / name).read_text())
    result = subprocess.run(
        [
            tool("systemd-analyze"),
            "verify",
            "--man=no",
            str(tmp_path / "platform-nat.service"),
            str(tmp_path / "nftables.service"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"},
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_merge_script_for_another_volume_group_passes_shellcheck(tmp_path: Path) -> None:
    script = tmp_path / "merge.sh"
    script.write_text(merge_data_script("vg_nvme"))
    result = subprocess.run(
        [tool("shellcheck"), "-s", "sh", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
