"""The program that writes an engine's SSH files, run for real as the local invoke runs it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from components.render.engine_access import (
    WRITE_FILES_PROGRAM,
    AccessFiles,
    access_files,
    guest_host_key_from,
    write_files_stdin,
)


def _write(files: AccessFiles, key: str) -> subprocess.CompletedProcess[str]:
    stdin = write_files_stdin(
        files, {"id": key, "config": "Host x\n", "known_hosts": "x ssh-ed25519 A\n"}
    )
    return subprocess.run(
        [sys.executable, "-c", WRITE_FILES_PROGRAM, ""],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def _with_control_dir(files: AccessFiles, control: Path) -> AccessFiles:
    return replace(files, paths=replace(files.paths, control_dir=str(control / "stack")))


def test_files_are_written_private_and_rewritten_in_place(tmp_path: Path) -> None:
    files = _with_control_dir(
        access_files(str(tmp_path), "prod", "ax102-livekit", os.getuid()), tmp_path / "control"
    )
    for key in ("first key\n", "second key\n"):
        result = _write(files, key)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == files.directory
    directory = Path(files.directory)
    assert directory == tmp_path / ".selfhosted/ssh/prod/ax102-livekit"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == ["config", "id", "known_hosts"]
    assert Path(files.paths.identity_file).read_text() == "second key\n"
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for control in (tmp_path / "control", tmp_path / "control" / "stack"):
        assert stat.S_IMODE(control.stat().st_mode) == 0o700


def test_the_control_directory_is_short_per_user_and_per_stack() -> None:
    project = "/home/runner/work/selfhosted-platform/selfhosted-platform"
    paths = access_files(project, "prod", "ax102-livekit", 1001).paths
    assert paths.control_dir.startswith("/tmp/selfhosted-ssh-1001/")
    assert len(paths.control_dir) < 40
    assert access_files(project, "prod", "ax102-proxy", 1001).paths.control_dir == (
        paths.control_dir
    )
    assert access_files(project, "staging", "ax102-livekit", 1001).paths.control_dir != (
        paths.control_dir
    )


@pytest.mark.parametrize("problem", ["open to others", "a symlink", "another user's"])
def test_a_control_directory_others_could_use_is_refused(tmp_path: Path, problem: str) -> None:
    control = tmp_path / "control"
    if problem == "open to others":
        control.mkdir(mode=0o777)
        control.chmod(0o777)
    elif problem == "a symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        control.symlink_to(tmp_path / "elsewhere")
    else:
        control.mkdir(mode=0o700)
        os.chown(control, 65534, 65534)  # the suite runs as root (docs/docker-tests.md)
    files = _with_control_dir(access_files(str(tmp_path), "s", "m", os.getuid()), control)
    result = _write(files, "key\n")
    assert result.returncode == 1
    assert f"{control} must be a directory of uid {os.getuid()} with mode 0700" in result.stderr


def test_guest_host_key_is_read_from_the_readiness_output() -> None:
    out = "guest-host-key=ssh-ed25519 AAAAC3Nza\ndocker-server-version=20.10.24\n"
    assert guest_host_key_from(out) == "ssh-ed25519 AAAAC3Nza"
    with pytest.raises(ValueError, match="no 'guest-host-key=' line"):
        guest_host_key_from("docker-server-version=20.10.24\n")
