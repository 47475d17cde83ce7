"""The storage merge script against real LVM metadata on a loop device.

What is real: a loop device, LVM's own tools (``pvcreate``, ``vgcreate``, ``lvcreate``,
``vgcfgrestore``, and ``lvs``/``vgs``/``lvremove``/``lvextend`` as the script calls them) and
the rendered script run by ``sh``. A private ``lvm.conf`` limits LVM to the loop device and
keeps it from writing metadata backups or a devices file on the machine.

What cannot be real here: the test machines' kernel has no device-mapper, so no LV can be
activated. LVM's ``--driverloaded n`` makes it edit metadata without touching the kernel; the
script's LVM commands get it from tiny wrappers that ``exec`` the real ``lvm``. A thin pool
cannot be created without dm-thin either, so the volume group's metadata is written in LVM's
own text format with the pool (and a thin volume, as Proxmox makes them) added, and loaded with
``vgcfgrestore --force``. ``fsadm`` needs the root LV's device node, which only device-mapper
makes: a wrapper records its arguments instead of resizing (on a host it grows ext4/xfs
online). ``pvesm`` is not installed, so the script's Proxmox storage steps do not run here.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import string
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.render.storage_merge import merge_data_script
from tests.tools import require

VG = "vgplatform"  # not `pve`: the volume group is configurable
LVM_TOOLS = ("lvs", "vgs", "lvremove", "lvextend")


def _lvm_id() -> str:
    alphabet = string.ascii_letters + string.digits
    raw = "".join(secrets.choice(alphabet) for _ in range(32))
    parts = (raw[:6], raw[6:10], raw[10:14], raw[14:18], raw[18:22], raw[22:26], raw[26:])
    return "-".join(parts)


def _lv(name: str, visible: bool, segment: str) -> str:
    status = '"READ", "WRITE", "VISIBLE"' if visible else '"READ", "WRITE"'
    return (
        f'\n\t\t{name} {{\n\t\t\tid = "{_lvm_id()}"\n\t\t\tstatus = [{status}]\n'
        f"\t\t\tflags = []\n\t\t\tsegment_count = 1\n\n\t\t\tsegment1 {{\n"
        f"\t\t\t\tstart_extent = 0\n{segment}\n\t\t\t}}\n\t\t}}\n"
    )


def _linear(extents: int, first: int) -> str:
    return (
        f'\t\t\t\textent_count = {extents}\n\t\t\t\ttype = "striped"\n'
        f'\t\t\t\tstripe_count = 1\n\t\t\t\tstripes = [\n\t\t\t\t\t"pv0", {first}\n\t\t\t\t]'
    )


# A Proxmox-style `data` thin pool (50 extents after root's 25) and guest disks in it, in
# the layout `vgcfgbackup` writes for such a pool.
THIN_POOL = (
    '\t\t\t\textent_count = 50\n\t\t\t\ttype = "thin-pool"\n\t\t\t\tmetadata = "data_tmeta"\n'
    '\t\t\t\tpool = "data_tdata"\n\t\t\t\ttransaction_id = 1\n\t\t\t\tchunk_size = 128\n'
    '\t\t\t\tdiscards = "passdown"\n\t\t\t\tzero_new_blocks = 1'
)
THIN_VOLUME = (
    '\t\t\t\textent_count = 10\n\t\t\t\ttype = "thin"\n\t\t\t\tthin_pool = "data"\n'
    "\t\t\t\ttransaction_id = 0\n\t\t\t\tdevice_id = 1"
)


@dataclass
class Lvm:
    conf_dir: Path
    bin_dir: Path
    work: Path
    loop: str

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "LVM_SYSTEM_DIR": str(self.conf_dir),
            "LVM_SUPPRESS_FD_WARNINGS": "1",
            "PATH": f"{self.bin_dir}:{os.environ['PATH']}",
        }

    def lvm(self, *args: str) -> str:
        proc = subprocess.run(
            ["lvm", *args[:1], "--driverloaded", "n", *args[1:]],
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
            timeout=60,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"lvm {' '.join(args)}: {proc.stderr}")
        return proc.stdout

    def lvs(self) -> dict[str, int]:
        """LV name -> size in extents (hidden pool parts included)."""
        out = self.lvm("lvs", "-a", "--noheadings", "-o", "lv_name,seg_size_pe", VG)
        return {
            name.strip("[]"): int(size)
            for name, size in (line.split() for line in out.splitlines())
        }

    def free_extents(self) -> int:
        return int(self.lvm("vgs", "--noheadings", "-o", "vg_free_count", VG).strip())

    def run_script(self, volume_group: str = VG) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", "-c", merge_data_script(volume_group)],
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
            timeout=120,
        )

    def add_thin_pool(self, *thin_volumes: str) -> None:
        """Give the volume group Proxmox's `data` pool holding ``thin_volumes``."""
        backup = self.work / "vg.meta"
        self.lvm("vgcfgbackup", "-f", str(backup), VG)
        meta = backup.read_text(encoding="utf-8")
        extra = (
            _lv("data", True, THIN_POOL)
            + "".join(_lv(name, True, THIN_VOLUME) for name in thin_volumes)
            + _lv("data_tdata", False, _linear(50, 25))
            + _lv("data_tmeta", False, _linear(1, 75))
            + _lv("lvol0_pmspare", False, _linear(1, 76))
        )
        end = meta.rindex("\t}\n\n}")
        meta = meta[:end] + extra + meta[end:]
        meta = re.sub(r"seqno = (\d+)", lambda m: f"seqno = {int(m.group(1)) + 1}", meta, count=1)
        backup.write_text(meta, encoding="utf-8")
        self.lvm("vgcfgrestore", "--force", "-f", str(backup), VG)
        expected = {"root": 25, "data": 50, "data_tdata": 50, "data_tmeta": 1, "lvol0_pmspare": 1}
        assert self.lvs() == {**expected, **dict.fromkeys(thin_volumes, 10)}

    def fsadm_calls(self) -> list[str]:
        log = self.work / "fsadm.log"
        return log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    def fail_once(self, tool: str, after_running: bool) -> None:
        """Make the next call of ``tool`` fail: before doing anything, or after doing it all."""
        marker = self.work / f"{tool}.failed"
        real = self.bin_dir / f"{tool}.real"
        shutil.move(self.bin_dir / tool, real)
        run_real = f'"{real}" "$@" || exit $?\n' if after_running else ""
        (self.bin_dir / tool).write_text(
            f'#!/bin/sh\nif [ ! -e "{marker}" ]; then\n    touch "{marker}"\n    {run_real}'
            f'    echo "{tool}: injected failure" >&2\n    exit 1\nfi\nexec "{real}" "$@"\n',
            encoding="utf-8",
        )
        (self.bin_dir / tool).chmod(0o755)


@pytest.fixture
def lvm(tmp_path: Path) -> Iterator[Lvm]:
    if os.geteuid() != 0:
        pytest.fail("the LVM test needs root (loop devices); run `bash scripts/test.sh`")
    require("losetup", "lvm")
    image = tmp_path / "disk.img"
    with image.open("wb") as f:
        f.truncate(1024 * 1024 * 1024)
    loop = subprocess.run(
        ["losetup", "--find", "--show", str(image)], capture_output=True, text=True, check=True
    ).stdout.strip()
    conf_dir, bin_dir = tmp_path / "lvm", tmp_path / "bin"
    conf_dir.mkdir()
    bin_dir.mkdir()
    (conf_dir / "lvm.conf").write_text(
        f'devices {{\n filter = [ "a|^{loop}$|", "r|.*|" ]\n use_devicesfile = 0\n'
        " obtain_device_list_from_udev = 0\n}\n"
        "activation {\n udev_sync = 0\n udev_rules = 0\n}\n"
        "backup {\n backup = 0\n archive = 0\n}\n",
        encoding="utf-8",
    )
    for tool in LVM_TOOLS:
        (bin_dir / tool).write_text(
            f'#!/bin/sh\nexec lvm {tool} --driverloaded n "$@"\n', encoding="utf-8"
        )
        (bin_dir / tool).chmod(0o755)
    (bin_dir / "fsadm").write_text(
        f'#!/bin/sh\necho "$*" >> "{tmp_path / "fsadm.log"}"\n', encoding="utf-8"
    )
    (bin_dir / "fsadm").chmod(0o755)
    env = Lvm(conf_dir, bin_dir, tmp_path, loop)
    try:
        env.lvm("pvcreate", loop)
        env.lvm("vgcreate", VG, loop)
        env.lvm("lvcreate", "-an", "-Zn", "-l", "25", "-n", "root", VG)
        assert env.lvs() == {"root": 25}
        yield env
    finally:
        subprocess.run(
            ["lvm", "vgremove", "--driverloaded", "n", "-f", VG],
            env=env.env,
            capture_output=True,
            check=False,
        )
        subprocess.run(
            ["lvm", "pvremove", "--driverloaded", "n", "-ff", "-y", loop],
            env=env.env,
            capture_output=True,
            check=False,
        )
        subprocess.run(["losetup", "-d", loop], check=True)


def _assert_merged(lvm: Lvm, total: int) -> None:
    assert lvm.lvs() == {"root": total}
    assert lvm.free_extents() == 0
    assert lvm.fsadm_calls()[-1] == f"-y resize /dev/{VG}/root"


def test_refuses_while_any_thin_volume_is_in_the_pool(lvm: Lvm) -> None:
    # The thin volumes belong to no Proxmox storage entry: only `lvs` sees them.
    lvm.add_thin_pool("vm-100-disk-0", "snap_vm-101-disk-0_before")
    before = lvm.lvs()
    result = lvm.run_script()
    assert result.returncode == 1
    assert (
        f"refusing to merge {VG}/data into {VG}/root: the pool still holds thin volumes:\n"
        "  snap_vm-101-disk-0_before\n  vm-100-disk-0\n"
    ) in result.stderr
    assert lvm.lvs() == before
    assert lvm.fsadm_calls() == []


def test_merges_then_changes_nothing_when_run_again(lvm: Lvm) -> None:
    lvm.add_thin_pool()
    total = 25 + lvm.free_extents() + 50 + 1 + 1  # root, free, pool data, metadata, spare
    first = lvm.run_script()
    assert first.returncode == 0, first.stderr
    assert f"removed {VG}/data" in first.stdout.splitlines()
    assert first.stdout.splitlines()[-1] == f"{VG}/data merged into {VG}/root"
    _assert_merged(lvm, total)

    again = lvm.run_script()
    assert again.returncode == 0, again.stderr
    assert f"{VG}/data is already gone" in again.stdout
    assert f"{VG}/root already has every extent of {VG}" in again.stdout
    _assert_merged(lvm, total)


@pytest.mark.parametrize("after_running", [False, True], ids=["fails-before", "fails-after"])
@pytest.mark.parametrize("tool", ["lvremove", "lvextend", "fsadm"])
def test_a_rerun_after_a_failure_at_any_step_completes(
    lvm: Lvm, tool: str, after_running: bool
) -> None:
    lvm.add_thin_pool()
    total = 25 + lvm.free_extents() + 50 + 1 + 1
    lvm.fail_once(tool, after_running)
    failed = lvm.run_script()
    assert failed.returncode != 0
    assert f"{tool}: injected failure" in failed.stderr
    resumed = lvm.run_script()
    assert resumed.returncode == 0, resumed.stderr
    _assert_merged(lvm, total)


def test_a_volume_group_that_does_not_exist_is_named(lvm: Lvm) -> None:
    lvm.add_thin_pool()
    result = lvm.run_script("pve")
    assert result.returncode == 1
    assert (
        f"volume group pve not found on this host (vgs lists: {VG}); "
        "set the host's volume group to the right one"
    ) in result.stderr.splitlines()
    assert lvm.lvs()["data"] == 50


def test_a_malformed_volume_group_name_is_refused() -> None:
    with pytest.raises(ValueError, match="'-pve' is not a valid LVM name"):
        merge_data_script("-pve")
