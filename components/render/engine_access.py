"""The files that let ``ssh`` (and so pulumi-docker) reach a Docker engine, and how to write them.

pulumi-docker dials ``ssh://<alias>`` by running the system ``ssh`` with its ``ssh_opts``
(``-F <config>``), so the key, the pinned known_hosts and the config must exist on the machine
that runs ``pulumi`` at every run, including a fresh CI runner: they are written by a
``command.local.run`` invoke, which runs on every preview and update, from the text below.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from .ssh_config import SshClientPaths

ACCESS_ROOT = ".selfhosted/ssh"
GUEST_HOST_KEY_PREFIX = "guest-host-key="

# Reads {"dir": ..., "files": {name: text}} on stdin; writes each file atomically with mode
# 0600 in a 0700 directory, and prints the directory.
WRITE_FILES_PROGRAM = """\
import json, os, sys, tempfile
spec = json.load(sys.stdin)
os.makedirs(spec["dir"], mode=0o700, exist_ok=True)
os.chmod(spec["dir"], 0o700)
for name, text in sorted(spec["files"].items()):
    fd, tmp = tempfile.mkstemp(dir=spec["dir"], prefix="." + name)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, os.path.join(spec["dir"], name))
print(spec["dir"])
"""


@dataclass(frozen=True)
class AccessFiles:
    directory: str
    paths: SshClientPaths


def access_files(project_dir: str, stack: str, machine: str) -> AccessFiles:
    """Absolute paths of one engine's key, known_hosts and ssh_config."""
    directory = PurePosixPath(project_dir) / ACCESS_ROOT / stack / machine
    return AccessFiles(
        directory=str(directory),
        paths=SshClientPaths(
            ssh_config=str(directory / "config"),
            known_hosts=str(directory / "known_hosts"),
            identity_file=str(directory / "id"),
        ),
    )


def write_files_stdin(directory: str, files: Mapping[str, str]) -> str:
    return json.dumps({"dir": directory, "files": dict(files)}, sort_keys=True)


def guest_host_key_script() -> str:
    """Shell lines printing the guest's SSH host key, read through ``pct exec`` on the
    (pinned) Proxmox host: that trusted path is how the guest's key gets pinned."""
    return f'echo "{GUEST_HOST_KEY_PREFIX}$(cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"\n'


def guest_host_key_from(stdout: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(GUEST_HOST_KEY_PREFIX):
            return line.removeprefix(GUEST_HOST_KEY_PREFIX).strip()
    raise ValueError(f"no '{GUEST_HOST_KEY_PREFIX}' line in the readiness output")
