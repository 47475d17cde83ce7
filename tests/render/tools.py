"""Real tools for the renderer tests: ssh-keygen keys, sshd servers and a Docker engine.

Nothing here imitates a tool. Keys come from `ssh-keygen`; the SSH endpoints are OpenSSH's
`sshd` on loopback ports; the engine is Debian's `dockerd` from the tests' one launcher
(tests/docker/engine.py `start_dockerd`: vfs storage, its own data and exec roots and socket,
inside a network namespace of its own, so its bridge never touches this machine's network).
Every wait is bounded. Tools are found by `tests.tools.tool`: a missing one fails the test with
what to install; nothing skips.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docker.engine import DockerEngine, EngineError, start_dockerd, stop_engine
from tests.tools import tool

__all__ = ["DockerEngine", "start_engine", "stop_engine", "tool"]


def run(
    argv: Sequence[str], *, timeout: float = 60.0, check: bool = True, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run a command, bounded; with check, fail with its output unless it exits 0."""
    proc = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )
    if check and proc.returncode != 0:
        pytest.fail(
            f"{' '.join(argv)} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr}",
            pytrace=False,
        )
    return proc


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    private_openssh: str
    public_openssh: str

    @property
    def public_key(self) -> str:
        """`<type> <base64>` without the comment, as pinned in known_hosts."""
        kind, blob = self.public_openssh.split()[:2]
        return f"{kind} {blob}"


def make_keypair(directory: Path, name: str, comment: str = "") -> KeyPair:
    path = directory / name
    run([tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return KeyPair(path, path.read_text(), (directory / f"{name}.pub").read_text().strip())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}", pytrace=False)


def stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def start_engine(workdir: Path | None = None) -> DockerEngine:
    """A real dockerd (tests/docker/engine.py's launcher); fails the test saying what is missing."""
    tool("docker")  # the tests drive it with the CLI
    try:
        return start_dockerd(workdir)
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)


@dataclass(frozen=True)
class Sshd:
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_sshd(
    directory: Path,
    name: str,
    host_key: KeyPair,
    authorized: KeyPair,
    extra: Sequence[str] = (),
    *,
    skel_bashrc: bool = False,
) -> tuple[subprocess.Popen[bytes], Sshd]:
    """OpenSSH's sshd on 127.0.0.1, its own host key and authorized_keys, debug log to a file.

    Sessions run the user's login shell. With ``skel_bashrc`` the shell reads Debian's
    /etc/skel/.bashrc (which returns at once when not interactive), as a new admin user's does,
    instead of this machine's /root/.bashrc (bash reads it even for `ssh host cmd`, and here it
    starts pyenv, ~0.2 s a session): bind-mounted in a private mount namespace of sshd's own.
    """
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    port = free_port()
    authorized_keys = directory / f"{name}_authorized_keys"
    authorized_keys.write_text(authorized.public_openssh + "\n")
    config = directory / f"{name}_sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key.private_path}",
                f"PidFile {directory}/{name}_sshd.pid",
                f"AuthorizedKeysFile {authorized_keys}",
                "StrictModes no",
                "UsePAM no",
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "LogLevel DEBUG1",
                *extra,
            ]
        )
        + "\n"
    )
    log_path = directory / f"{name}_sshd.log"
    argv = [tool("sshd"), "-D", "-e", "-f", str(config)]
    if skel_bashrc:
        rc = Path.home() / ".bashrc"
        script = f'mount --bind /etc/skel/.bashrc {rc} && exec "$@"'
        argv = [tool("unshare"), "--mount", "--propagation", "private", "sh", "-c", script, "sh"]
        argv += [tool("sshd"), "-D", "-e", "-f", str(config)]
    proc = subprocess.Popen(
        argv,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )

    def listening() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"sshd {name} exited:\n{log_path.read_text()}", pytrace=False)
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_for(listening, f"sshd {name} to listen")
    return proc, Sshd(port, log_path)


# The real cloud-init, confined: its config, data and run directories are the test's own.
# `cloud-init status` finds its run directory from /etc/cloud/cloud.cfg, and the stages link
# status.json and result.json into /run/cloud-init whatever the config says
# (cloudinit/cmd/main.py status_wrapper), so both are replaced inside a private mount namespace
# (and the host name inside a private UTS namespace): nothing reaches this machine's cloud-init.
CLOUD_INIT_STAGES = ("init", "modules --mode config", "modules --mode final")
_CLOUD_CFG = """\
datasource_list: [None]
network: {{config: disabled}}
preserve_hostname: true
cloud_init_modules: [bootcmd]
cloud_config_modules: [runcmd]
cloud_final_modules: [scripts_user]
def_log_file: {log}
syslog_fix_perms: []
system_info:
  distro: debian
  paths: {{cloud_dir: {lib}, templates_dir: /etc/cloud/templates}}
datasource:
  None:
    userdata_raw: {user_data}
"""


def cloud_init_boot(
    directory: Path, user_data: str, then: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Boot the real cloud-init's stages with DataSourceNone and ``user_data``, then run
    ``then`` (sh) in the same namespaces; returns that script's result, stages logged aside.

    Only bootcmd, runcmd and scripts_user run: the commands of ``user_data``, nothing that
    changes the machine (no users, SSH keys, packages, network or host name).
    """
    tool("cloud-init")
    (directory / "etc").mkdir(exist_ok=True)
    (directory / "lib").mkdir(exist_ok=True)
    (directory / "etc" / "cloud.cfg").write_text(
        _CLOUD_CFG.format(
            log=directory / "cloud-init.log",
            lib=directory / "lib",
            user_data=json.dumps(user_data),
        )
    )
    stages = "\n".join(
        f"cloud-init {stage} >> {directory}/stages.log 2>&1 || true" for stage in CLOUD_INIT_STAGES
    )
    script = f"""\
set -eu
mount --bind {directory}/etc /etc/cloud
mount -t tmpfs -o mode=0755 tmpfs /run
{stages}
exec sh -c "$1"
"""
    return run(
        [
            tool("unshare"),
            "--mount",
            "--uts",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "boot",
            then,
        ],
        env=env,
        check=False,
        timeout=120,
    )
