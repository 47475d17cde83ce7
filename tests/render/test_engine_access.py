"""The program that writes an engine's SSH files, run for real as the local invoke runs it."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from components.render.engine_access import (
    WRITE_FILES_PROGRAM,
    access_files,
    guest_host_key_from,
    write_files_stdin,
)


def test_files_are_written_private_and_rewritten_in_place(tmp_path: Path) -> None:
    files = access_files(str(tmp_path), "prod", "ax102-livekit")
    for key in ("first key\n", "second key\n"):
        stdin = write_files_stdin(
            files.directory, {"id": key, "config": "Host x\n", "known_hosts": "x ssh-ed25519 A\n"}
        )
        result = subprocess.run(
            [sys.executable, "-c", WRITE_FILES_PROGRAM, ""],
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == files.directory
    directory = Path(files.directory)
    assert directory == tmp_path / ".selfhosted/ssh/prod/ax102-livekit"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == ["config", "id", "known_hosts"]
    assert Path(files.paths.identity_file).read_text() == "second key\n"
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_guest_host_key_is_read_from_the_readiness_output() -> None:
    out = "guest-host-key=ssh-ed25519 AAAAC3Nza\ndocker-server-version=20.10.24\n"
    assert guest_host_key_from(out) == "ssh-ed25519 AAAAC3Nza"
    with pytest.raises(ValueError, match="no 'guest-host-key=' line"):
        guest_host_key_from("docker-server-version=20.10.24\n")
