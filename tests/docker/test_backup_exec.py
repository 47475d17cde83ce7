"""The plan's exec prefix, ``docker exec -i <container>``, on the real test engine: a container's
output reaches restic byte for byte (the backup direction) and restic's dump reaches the
container's stdin byte for byte (the restore direction). The round trips on real servers
(tests/backup) run the same scripts with the servers' own prefix."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.apps.backup import VOLUMES, BackupJob
from components.render.backup import docker_access
from tests.tools import tool

from .engine import PROBE_IMAGE, DockerEngine

SIZE = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def container(docker_engine: DockerEngine) -> Iterator[str]:
    name = "backup-exec-" + secrets.token_hex(3)
    engine = docker_engine
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "none",
            "--entrypoint",
            "/bin/sh",
            PROBE_IMAGE,
            "-c",
            "exec busybox sleep 3600",
        ],
        env=engine.env(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    try:
        yield name
    finally:
        subprocess.run(
            ["docker", "rm", "-f", name],
            env=engine.env(),
            capture_output=True,
            check=False,
            timeout=60,
        )


def test_docker_exec_streams_byte_for_byte_into_restic_and_back(
    docker_engine: DockerEngine, container: str, tmp_path: Path
) -> None:
    env = {
        **docker_engine.env(),
        "RESTIC_PASSWORD": "exec-test",
        "RESTIC_REPOSITORY": str(tmp_path / "repo"),
        "RESTIC_CACHE_DIR": str(tmp_path / "cache"),
    }
    restic = tool("restic")
    subprocess.run(
        [restic, "init", "--quiet"], env=env, check=True, capture_output=True, timeout=60
    )
    # Every byte value, in a random order: no text-mode or line-ending change can hide.
    blob = os.urandom(SIZE) + bytes(range(256)) * 16
    job = BackupJob(container, "m", container, VOLUMES, PROBE_IMAGE, ())
    exec_prefix = list(docker_access(job).exec)
    assert exec_prefix == ["docker", "exec", "-i", container]
    subprocess.run(
        [*exec_prefix, "/bin/sh", "-c", "busybox cat > /tmp/blob"],
        input=blob,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )

    dump = subprocess.Popen(
        [*exec_prefix, "/bin/sh", "-c", "busybox cat /tmp/blob"], stdout=subprocess.PIPE, env=env
    )
    backed = subprocess.run(
        [restic, "backup", "--stdin", "--stdin-filename", "exec/blob", "--quiet"],
        stdin=dump.stdout,
        check=False,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert dump.stdout is not None
    dump.stdout.close()
    assert dump.wait(timeout=60) == 0
    assert backed.returncode == 0, backed.stderr

    stored = subprocess.run(
        [restic, "dump", "latest", "/exec/blob"],
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    ).stdout
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(blob).hexdigest()

    # The restore direction: restic's dump into the container's stdin.
    fetch = subprocess.Popen(
        [restic, "dump", "latest", "/exec/blob"], stdout=subprocess.PIPE, env=env
    )
    subprocess.run(
        [*exec_prefix, "/bin/sh", "-c", "busybox cat > /tmp/back"],
        stdin=fetch.stdout,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert fetch.stdout is not None
    fetch.stdout.close()
    assert fetch.wait(timeout=60) == 0
    back = subprocess.run(
        [*exec_prefix, "/bin/sh", "-c", "busybox cat /tmp/back"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    assert back == blob
