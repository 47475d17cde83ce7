"""The server steps run for real: shellcheck, a real sshd for the keys, a loop device for the
data volume.

- The keys step runs over SSH as pulumi-command runs it (the command as the login shell's
  argument), against OpenSSH's sshd reading ``~/.ssh/authorized_keys``; sshd runs in a mount
  namespace of its own where root's home is a temporary directory, so nothing of this
  machine's /root changes. An added key then logs in and a removed one is refused.
- The data volume step runs as root in a private mount namespace where /etc/fstab,
  /etc/docker and /etc/systemd/system are temporary, on a loop device (`losetup`, real
  `mkfs.ext4`, `blkid`, `mount`), next to a real dockerd. Switching Docker's data root ends in
  `systemctl restart docker`, which needs a booted systemd: here the test stops at the files
  written before it.
"""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from components.render.cloud_init import (
    DOCKER_DAEMON_JSON,
    DOCKER_MOUNT_DROPIN,
    DataVolume,
    DockerServerInit,
    HostKeyPair,
    cloud_init_user_data,
)
from components.render.input_errors import RenderInputError
from components.render.server_steps import as_root, authorized_keys_script, data_volume_script
from tests.tools import tool

from .tools import (
    DockerEngine,
    KeyPair,
    free_port,
    make_keypair,
    run,
    start_engine,
    stop,
    stop_engine,
    wait_for,
)


@pytest.mark.parametrize(
    "script",
    [
        authorized_keys_script(["ssh-ed25519 AAAA a@b", "ssh-rsa BBBB"]),
        data_volume_script(DataVolume(device="/dev/disk/by-id/scsi-0HC_Volume_42")),
        as_root("echo 'quoted' \"twice\"\n"),
    ],
    ids=["keys", "data-volume", "as-root"],
)
def test_scripts_pass_shellcheck(script: str, tmp_path: Path) -> None:
    path = tmp_path / "step.sh"
    path.write_text(script)
    checked = run([tool("shellcheck"), "-s", "sh", str(path)], check=False)
    assert checked.returncode == 0, checked.stdout


def test_as_root_passes_the_script_as_one_argument(tmp_path: Path) -> None:
    script = 'printf \'%s|\' "$0" it"\'"s\necho done\n'
    command = as_root(script)
    assert command.startswith("sudo -n sh -c ")
    # What sudo receives after `-n`: `sh -c SCRIPT`, with the script unchanged.
    assert shlex.split(command)[2:] == ["sh", "-c", script]


@pytest.mark.parametrize("bad", [[], ["ssh-ed25519 AAAA\nPULUMI_SSH_KEYS"], ["not a key"]])
def test_keys_must_be_key_lines(bad: list[str]) -> None:
    with pytest.raises(RenderInputError, match="keys"):
        authorized_keys_script(bad)


# --- the keys step against a real sshd ---------------------------------------------------


@dataclass(frozen=True)
class Server:
    port: int
    home: Path
    host_key: KeyPair
    known_hosts: Path


@pytest.fixture
def server(keys: dict[str, KeyPair], tmp_path: Path) -> Iterator[Server]:
    """sshd on 127.0.0.1 reading root's ~/.ssh/authorized_keys, root's home a temp dir."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    (home / ".ssh" / "authorized_keys").write_text(
        f"{keys['admin'].public_openssh}\n{keys['stranger'].public_openssh}\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    config = tmp_path / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {keys['host'].private_path}",
                f"PidFile {tmp_path}/sshd.pid",
                "AuthorizedKeysFile .ssh/authorized_keys",
                "UsePAM no",
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
            ]
        )
        + "\n"
    )
    inner = f"mount --bind {shlex.quote(str(home))} /root && exec {tool('sshd')} -D -e -f {config}"
    log = tmp_path / "sshd.log"
    proc = subprocess.Popen(
        [tool("unshare"), "--mount", "--propagation", "private", "sh", "-c", inner],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )

    def listening() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"sshd exited:\n{log.read_text()}", pytrace=False)
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_for(listening, "sshd to listen")
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {keys['host'].public_key}\n")
    try:
        yield Server(port, home, keys["host"], known)
    finally:
        stop(proc)


def ssh(server: Server, key: KeyPair, command: str) -> subprocess.CompletedProcess[str]:
    return run(
        [
            tool("ssh"),
            "-F",
            "/dev/null",
            "-i",
            str(key.private_path),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={server.known_hosts}",
            "-p",
            str(server.port),
            "root@127.0.0.1",
            command,
        ],
        check=False,
    )


def test_an_added_key_logs_in_and_a_removed_one_is_refused(
    server: Server, keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    admin, stranger = keys["admin"], keys["stranger"]
    added = make_keypair(tmp_path, "added", "added@example.com")
    assert ssh(server, stranger, "true").returncode == 0  # authorized before the step
    step = ssh(server, admin, authorized_keys_script([admin.public_openssh, added.public_openssh]))
    assert step.returncode == 0, step.stderr
    assert step.stdout == "root: 2 authorized key(s)\n"
    assert ssh(server, added, "echo in").stdout == "in\n"
    refused = ssh(server, stranger, "true")
    assert refused.returncode == 255
    assert "Permission denied (publickey)" in refused.stderr
    # Replaced whole, no temporary file left, modes sshd accepts.
    written = server.home / ".ssh" / "authorized_keys"
    assert written.read_text() == f"{admin.public_openssh}\n{added.public_openssh}\n"
    assert sorted(p.name for p in (server.home / ".ssh").iterdir()) == ["authorized_keys"]
    assert written.stat().st_mode & 0o077 == 0
    # A second run changes nothing.
    again = ssh(server, admin, authorized_keys_script([admin.public_openssh, added.public_openssh]))
    assert again.returncode == 0
    assert written.read_text() == f"{admin.public_openssh}\n{added.public_openssh}\n"


# --- the data volume step on a loop device -----------------------------------------------

FAST = {"cloud_init_wait_s": 1, "device_wait_s": 4}


@dataclass(frozen=True)
class Box:
    """A loop device and the temporary /etc the step sees."""

    device: str
    mount_point: Path
    etc: Path

    @property
    def fstab(self) -> Path:
        return self.etc / "fstab"

    def daemon_json(self) -> Path:
        return self.etc / "docker" / Path(DOCKER_DAEMON_JSON).name

    def dropin(self) -> Path:
        return self.etc / "systemd" / Path(DOCKER_MOUNT_DROPIN).relative_to("/etc/systemd/system")


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    started = start_engine()
    try:
        yield started
    finally:
        stop_engine(started)


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    tool("mkfs.ext4")  # the step formats with it: fail naming its package when missing
    image = tmp_path / "volume.img"
    run(["truncate", "-s", "32M", str(image)])
    device = run([tool("losetup"), "--find", "--show", str(image)]).stdout.strip()
    etc = tmp_path / "etc"
    (etc / "docker").mkdir(parents=True)
    (etc / "systemd").mkdir()
    (etc / "fstab").write_text("# the test's fstab\n")
    try:
        yield Box(device, tmp_path / "data", etc)
    finally:
        run([tool("losetup"), "--detach", device], check=False)


def run_step(
    box: Box, engine: DockerEngine, volume: DataVolume
) -> subprocess.CompletedProcess[str]:
    """The step as root, with this box's /etc, in a mount namespace that ends with it."""
    script = data_volume_script(volume, **FAST)
    binds = [
        (box.fstab, "/etc/fstab"),
        (box.etc / "docker", "/etc/docker"),
        (box.etc / "systemd", "/etc/systemd/system"),
    ]
    inner = "".join(f"mount --bind {src} {dst} && " for src, dst in binds)
    inner += f"exec sh -c {shlex.quote(script)}"
    return run(
        [tool("unshare"), "--mount", "--propagation", "private", "sh", "-c", inner],
        env={**engine.env(), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        check=False,
        timeout=120,
    )


def blkid(device: str, tag: str) -> str:
    return run([tool("blkid"), "-p", "-o", "value", "-s", tag, device], check=False).stdout.strip()


def test_a_blank_volume_is_formatted_mounted_and_listed_once(
    box: Box, engine: DockerEngine, keys: dict[str, KeyPair]
) -> None:
    volume = DataVolume(device=box.device, mount_point=str(box.mount_point))
    first = run_step(box, engine, volume)
    # Formatted and labelled as cloud-init's fs_setup would (read back by blkid) ...
    assert (blkid(box.device, "TYPE"), blkid(box.device, "LABEL")) == ("ext4", "data")
    assert "was blank, formatted ext4 labelled data" in first.stdout
    # ... listed in fstab with cloud-init's line for it ...
    config = cloud_init_user_data_mounts(volume, keys)
    assert box.fstab.read_text().splitlines()[1:] == [" ".join(config)]
    # ... and, Docker holding nothing, its data root moved: daemon.json and the mount drop-in
    # are written, then the restart needs systemd (not here).
    assert json.loads(box.daemon_json().read_text()) == {"data-root": f"{box.mount_point}/docker"}
    assert box.dropin().read_text() == f"[Unit]\nRequiresMountsFor={box.mount_point}\n"
    assert first.returncode != 0
    assert "its data root moves to" in first.stdout
    uuid = blkid(box.device, "UUID")
    # Run again: not formatted again, not listed twice.
    run_step(box, engine, volume)
    assert blkid(box.device, "UUID") == uuid
    assert len(box.fstab.read_text().splitlines()) == 2


def cloud_init_user_data_mounts(volume: DataVolume, keys: dict[str, KeyPair]) -> list[str]:
    """The fstab entry cloud-init's `mounts` makes from the first-boot user-data."""
    init = DockerServerInit(
        hostname="hub",
        admin_user="ops",
        admin_keys=(keys["admin"].public_openssh,),
        host_key=HostKeyPair("[secret]", keys["host"].public_openssh),
        data_volume=volume,
    )
    [entry] = yaml.safe_load(cloud_init_user_data(init))["mounts"]
    return [str(field) for field in entry]


def test_docker_holding_data_is_never_moved(box: Box, engine: DockerEngine) -> None:
    volume = DataVolume(device=box.device, mount_point=str(box.mount_point))
    run(["docker", "volume", "create", "live-data"], env=engine.env())
    try:
        result = run_step(box, engine, volume)
    finally:
        run(["docker", "volume", "rm", "live-data"], env=engine.env())
    assert result.returncode == 1
    assert "Docker already holds 0 container(s) and 1 volume(s)" in result.stderr
    assert "never moves live data" in result.stderr
    assert not box.daemon_json().exists()
    assert not box.dropin().exists()


def test_a_foreign_filesystem_is_left_alone(box: Box, engine: DockerEngine) -> None:
    run([tool("mkfs.ext4"), "-q", "-L", "backups", box.device])
    uuid = blkid(box.device, "UUID")
    result = run_step(box, engine, DataVolume(device=box.device, mount_point=str(box.mount_point)))
    assert result.returncode == 1
    assert "holds a ext4 filesystem labelled 'backups'" in result.stderr
    assert blkid(box.device, "UUID") == uuid
    assert box.fstab.read_text() == "# the test's fstab\n"


def test_a_volume_that_never_appears_fails_in_bounded_time(box: Box, engine: DockerEngine) -> None:
    missing = DataVolume(device="/dev/disk/by-id/scsi-0HC_Volume_0", mount_point="/srv/none")
    result = run_step(box, engine, missing)
    assert result.returncode == 1
    assert "did not appear in 4s: is the volume attached?" in result.stderr
