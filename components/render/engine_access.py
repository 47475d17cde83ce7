"""The files that let ``ssh`` (and so pulumi-docker) reach a Docker engine, and how to write them.

pulumi-docker dials ``ssh://<alias>`` by running the system ``ssh`` with its ``ssh_opts``
(``-F <config>``), so the key, the pinned known_hosts and the config must exist on the machine
that runs ``pulumi`` at every run, including a fresh CI runner: they are written by a
``command.local.run`` invoke, which runs on every preview and update, from the text below.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from .ssh_config import SshClientPaths

ACCESS_ROOT = ".selfhosted/ssh"
# The multiplexing sockets (ssh_config.py): a short path, a private directory per user and in
# it one per project checkout and stack.
CONTROL_ROOT = "/tmp/selfhosted-ssh-"
GUEST_HOST_KEY_PREFIX = "guest-host-key="

# Reads {"dir": ..., "control_dir": ..., "files": {name: text}} on stdin; writes each file
# atomically with mode 0600 in a 0700 directory, and prints the directory. The control
# directory (under /tmp, where anyone may create a name first) is used only when it is a real
# directory of this user that nobody else can enter: ssh would trust any socket in it.
WRITE_FILES_PROGRAM = """\
import json, os, stat, sys, tempfile
spec = json.load(sys.stdin)
os.makedirs(spec["dir"], mode=0o700, exist_ok=True)
os.chmod(spec["dir"], 0o700)
for control in (os.path.dirname(spec["control_dir"]), spec["control_dir"]):
    try:
        os.mkdir(control, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(control)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        sys.exit(control + " must be a directory of uid " + str(os.getuid()) + " with mode 0700")
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
    # The ssh_config relative to the project directory: what a resource input may carry (the
    # NPM objects' tunnel), the same from every checkout of the project.
    project_ssh_config: str


def access_files(project_dir: str, stack: str, machine: str, uid: int) -> AccessFiles:
    """Absolute paths of one engine's key, known_hosts and ssh_config, for user `uid`."""
    relative = PurePosixPath(ACCESS_ROOT) / stack / machine
    directory = PurePosixPath(project_dir) / relative
    return AccessFiles(
        directory=str(directory),
        project_ssh_config=str(relative / "config"),
        paths=SshClientPaths(
            ssh_config=str(directory / "config"),
            known_hosts=str(directory / "known_hosts"),
            identity_file=str(directory / "id"),
            control_dir=f"{CONTROL_ROOT}{uid}/{_scope(project_dir, stack)}",
        ),
    )


def _scope(project_dir: str, stack: str) -> str:
    return hashlib.sha256(f"{project_dir}\n{stack}".encode()).hexdigest()[:12]


def write_files_stdin(files: AccessFiles, texts: Mapping[str, str]) -> str:
    return json.dumps(
        {"dir": files.directory, "control_dir": files.paths.control_dir, "files": dict(texts)},
        sort_keys=True,
    )


def guest_host_key_script() -> str:
    """Shell lines printing the guest's SSH host key, read through ``pct exec`` on the
    (pinned) Proxmox host: that trusted path is how the guest's key gets pinned."""
    return f'echo "{GUEST_HOST_KEY_PREFIX}$(cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"\n'


def guest_host_key_from(stdout: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(GUEST_HOST_KEY_PREFIX):
            return line.removeprefix(GUEST_HOST_KEY_PREFIX).strip()
    raise ValueError(f"no '{GUEST_HOST_KEY_PREFIX}' line in the readiness output")
