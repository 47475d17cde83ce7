"""ssh_config and known_hosts checked by OpenSSH itself.

`ssh -G` shows the options ssh would use; then real `sshd` servers on loopback stand in for a
Proxmox host (the jump host) and a guest's engine, and the very argv pulumi-docker builds
(docker/cli v28.5.2 cli/connhelper: `ssh <ssh_opts> -o ConnectTimeout=30 -T -- <host> docker
system dial-stdio`) reaches a real dockerd through the jump host with pinned keys, over one
multiplexed connection per host; sshd's own limits (`sshd -T`: MaxSessions, MaxStartups) are
read from the real sshd and shown at work on bursts of parallel calls.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from components.render.input_errors import RenderInputError
from components.render.readiness import (
    Readiness,
    docker_version_from_readiness,
    provider_host_after_readiness,
    readiness_command,
)
from components.render.ssh_config import (
    CONTROL_PERSIST_S,
    MAX_CONTROL_PATH,
    SshClientPaths,
    SshHost,
    docker_host,
    docker_ssh_opts,
    known_hosts_text,
    ssh_config_text,
)
from tests.tools import tool
from tests.workflows.workflows import load

from .tools import DockerEngine, KeyPair, run, start_sshd, stop


@pytest.fixture
def control_dir() -> Iterator[Path]:
    """A short private directory for the multiplexing sockets; masters stopped at the end."""
    directory = Path(tempfile.mkdtemp(prefix="shmux-", dir="/tmp"))
    try:
        yield directory
    finally:
        for socket_path in directory.iterdir():
            subprocess.run(
                [tool("ssh"), "-o", f"ControlPath={socket_path}", "-O", "exit", "x"],
                capture_output=True,
                timeout=10,
                check=False,
            )
        shutil.rmtree(directory, ignore_errors=True)


def write_files(
    directory: Path, hosts: list[SshHost], identity: Path, control: Path | None = None
) -> SshClientPaths:
    paths = SshClientPaths(
        ssh_config=str(directory / "ssh_config"),
        known_hosts=str(directory / "known_hosts"),
        identity_file=str(identity),
        control_dir=str(control or directory),
    )
    Path(paths.ssh_config).write_text(ssh_config_text(hosts, paths))
    Path(paths.known_hosts).write_text(known_hosts_text(hosts))
    return paths


def effective(paths: SshClientPaths, alias: str) -> dict[str, str]:
    result = run([tool("ssh"), "-G", "-F", paths.ssh_config, alias])
    options: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        options.setdefault(key, value)
    return options


def prod_hosts(keys: dict[str, KeyPair]) -> list[SshHost]:
    return [
        SshHost("ax102", "203.0.113.10", "root", (keys["jump_host"].public_key,)),
        SshHost(
            "ax102-livekit", "10.0.0.10", "root", (keys["engine_host"].public_key,), jump="ax102"
        ),
        SshHost("staging-1", "198.51.100.7", "deploy", (keys["host"].public_key,), port=2222),
    ]


def test_ssh_resolves_every_pinned_option(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    paths = write_files(tmp_path, prod_hosts(keys), keys["admin"].private_path)
    guest = effective(paths, "ax102-livekit")
    assert guest["hostname"] == "10.0.0.10"
    assert guest["user"] == "root"
    assert guest["port"] == "22"
    assert guest["proxyjump"] == "ax102"
    assert guest["hostkeyalias"] == "ax102-livekit"
    assert guest["identityfile"] == str(keys["admin"].private_path)
    assert guest["identitiesonly"] == "yes"
    assert guest["identityagent"] == "none"
    assert guest["userknownhostsfile"] == paths.known_hosts
    assert guest["globalknownhostsfile"] == "/dev/null"
    assert guest["stricthostkeychecking"] == "true"
    assert guest["updatehostkeys"] == "false"
    assert guest["passwordauthentication"] == "no"
    assert guest["kbdinteractiveauthentication"] == "no"
    assert guest["batchmode"] == "yes"
    assert guest["forwardagent"] == "no"
    assert guest["serveraliveinterval"] == "15"
    assert guest["serveralivecountmax"] == "4"
    assert guest["controlmaster"] == "auto"
    assert guest["controlpersist"] == str(CONTROL_PERSIST_S)
    assert Path(guest["controlpath"]).parent == Path(paths.control_dir)
    droplet = effective(paths, "staging-1")
    assert (droplet["hostname"], droplet["port"], droplet["user"]) == (
        "198.51.100.7",
        "2222",
        "deploy",
    )
    assert "proxyjump" not in droplet


def test_unlisted_alias_gets_nothing_from_the_file(
    keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    # Only the generated blocks apply: an alias not in the file keeps OpenSSH's defaults.
    paths = write_files(tmp_path, prod_hosts(keys), keys["admin"].private_path)
    other = effective(paths, "elsewhere")
    assert other["stricthostkeychecking"] == "ask"
    assert other["userknownhostsfile"] != paths.known_hosts


def test_known_hosts_is_keyed_by_alias(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    paths = write_files(tmp_path, prod_hosts(keys), keys["admin"].private_path)
    found = run([tool("ssh-keygen"), "-F", "ax102-livekit", "-f", paths.known_hosts])
    assert keys["engine_host"].public_key in found.stdout
    assert Path(paths.known_hosts).read_text() == (
        f"ax102 {keys['jump_host'].public_key}\n"
        f"ax102-livekit {keys['engine_host'].public_key}\n"
        f"staging-1 {keys['host'].public_key}\n"
    )


def test_each_block_and_pin_gets_its_own_master(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    def control_paths(hosts: list[SshHost], name: str) -> dict[str, str]:
        directory = tmp_path / name
        directory.mkdir()
        paths = write_files(directory, hosts, keys["admin"].private_path, tmp_path)
        return {h.alias: effective(paths, h.alias)["controlpath"] for h in hosts}

    hosts = prod_hosts(keys)
    prod = control_paths(hosts, "prod")
    assert len(set(prod.values())) == 3
    # Every guest's file names the same master for its Proxmox host (the hop).
    guest_only = control_paths([hosts[0], hosts[1]], "guest")
    assert guest_only == {alias: prod[alias] for alias in ("ax102", "ax102-livekit")}
    # The same bridge address behind another Proxmox host, or a re-pinned (rebuilt) host, is
    # another master: a master is reused without checking the host key again.
    other_jump = SshHost("ax103", "203.0.113.11", "root", (keys["jump_host"].public_key,))
    moved = control_paths([other_jump, replace(hosts[1], jump="ax103")], "moved")
    assert moved["ax102-livekit"] != prod["ax102-livekit"]
    repinned = control_paths(
        [hosts[0], replace(hosts[1], host_keys=(keys["stranger"].public_key,))], "repinned"
    )
    assert repinned["ax102-livekit"] != prod["ax102-livekit"]


def test_pulumi_docker_options() -> None:
    paths = SshClientPaths(
        "/run/platform/ssh_config", "/run/platform/known_hosts", "/k/id", "/tmp/selfhosted-ssh-0"
    )
    assert docker_ssh_opts(paths) == ["-F", "/run/platform/ssh_config"]
    assert docker_host("ax102-livekit") == "ssh://ax102-livekit"


def test_bad_hosts_are_reported_together(keys: dict[str, KeyPair]) -> None:
    key = keys["host"].public_key
    hosts = [
        SshHost("a", "10.0.0.2", "root", (key,), jump="b"),
        SshHost("b", "10.0.0.3", "root", (key,), jump="a"),
        SshHost("c", "bad host", "Root!", ("ssh-ed25519 AAAA comment",), port=0, jump="zzz"),
        SshHost("c", "10.0.0.4", "root", (key,)),
    ]
    paths = SshClientPaths("/tmp/x/ssh_config", "relative/known_hosts", "/k/%h", "/" + "c" * 70)
    with pytest.raises(RenderInputError) as error:
        ssh_config_text(hosts, paths)
    text = str(error.value)
    for expected in (
        "alias='c': unique across hosts",
        "hosts[c].hostname='bad host'",
        "hosts[c].user='Root!'",
        "hosts[c].port=0",
        "hosts[c].host_keys[0]='ssh-ed25519 AAAA comment'",
        "hosts[c].jump='zzz'",
        "hosts[a].jump='b': a chain without a loop",
        "hosts[b].jump='a': a chain without a loop",
        "paths.known_hosts='relative/known_hosts'",
        "paths.identity_file='/k/%h'",
        f"paths.control_dir='/{'c' * 70}': at most 69 characters",
    ):
        assert expected in text


@dataclass(frozen=True)
class Servers:
    paths: SshClientPaths
    jump_log: Path
    engine_port: int
    engine_log: Path


@pytest.fixture
def jump_and_engine(
    keys: dict[str, KeyPair], tmp_path: Path, docker_engine: DockerEngine, control_dir: Path
) -> Iterator[Servers]:
    # The "engine" sshd sets DOCKER_HOST for its sessions: the remote `docker` CLI talks to the
    # test engine, as the guest's CLI talks to its own dockerd.
    jump_proc, jump = start_sshd(
        tmp_path, "jump", keys["jump_host"], keys["admin"], ["AllowTcpForwarding yes"]
    )
    engine_proc, engine = start_sshd(
        tmp_path,
        "engine",
        keys["engine_host"],
        keys["admin"],
        [f"SetEnv DOCKER_HOST={docker_engine.host}", "AllowTcpForwarding no"],
    )
    try:
        hosts = [
            SshHost("pve", "127.0.0.1", "root", (keys["jump_host"].public_key,), port=jump.port),
            SshHost(
                "pve-guest",
                "127.0.0.1",
                "root",
                (keys["engine_host"].public_key,),
                port=engine.port,
                jump="pve",
            ),
        ]
        yield Servers(
            write_files(tmp_path, hosts, keys["admin"].private_path, control_dir),
            jump.log_path,
            engine.port,
            engine.log_path,
        )
    finally:
        stop(engine_proc)
        stop(jump_proc)


def pulumi_docker_argv(paths: SshClientPaths, alias: str) -> list[str]:
    # docker/cli v28.5.2 connhelper.getConnectionHelper + ssh.Spec.args for host ssh://<alias>.
    return [
        tool("ssh"),
        *docker_ssh_opts(paths),
        "-o ConnectTimeout=30",
        "-T",
        "--",
        alias,
        "docker",
        "system",
        "dial-stdio",
    ]


def test_dial_stdio_reaches_the_engine_through_the_jump_host(
    jump_and_engine: Servers,
) -> None:
    request = b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"
    proc = subprocess.run(
        pulumi_docker_argv(jump_and_engine.paths, "pve-guest"),
        input=request,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.startswith(b"HTTP/1.1 200 OK"), proc.stdout
    assert proc.stdout.endswith(b"OK")
    # The hop really went through the jump host: its sshd opened the forward to the engine.
    assert (
        f"target 127.0.0.1 port {jump_and_engine.engine_port}"
        in jump_and_engine.jump_log.read_text()
    )


def _accepted(log: Path) -> int:
    return log.read_text(errors="replace").count("Accepted publickey")


def test_calls_share_one_connection_per_host(jump_and_engine: Servers) -> None:
    for _ in range(3):
        proc = subprocess.run(
            pulumi_docker_argv(jump_and_engine.paths, "pve-guest"),
            input=b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n",
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert proc.stdout.startswith(b"HTTP/1.1 200 OK"), proc.stderr.decode()
    # One handshake with the engine and one with the jump host, for three calls.
    assert _accepted(jump_and_engine.engine_log) == 1
    assert _accepted(jump_and_engine.jump_log) == 1
    check = run(
        [tool("ssh"), "-F", jump_and_engine.paths.ssh_config, "-O", "check", "pve-guest"],
        check=False,
    )
    assert "Master running" in check.stderr


def _events_for_a_second() -> bytes:
    """A Docker API call that holds its connection open for a second or two (the engine runs on
    this machine's clock: `until` ends the event stream)."""
    now = int(time.time())
    return (
        f"GET /events?since={now}&until={now + 2} HTTP/1.1\r\nHost: docker\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


def dial_burst(
    paths: SshClientPaths, alias: str, request: bytes, count: int, *extra: str
) -> list[subprocess.CompletedProcess[bytes]]:
    """`count` pulumi-docker dials started together, each holding its session ~1 s."""
    argv = pulumi_docker_argv(paths, alias)
    argv[1:1] = list(extra)

    def one(_: int) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(argv, input=request, capture_output=True, timeout=60, check=False)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def _answered(results: list[subprocess.CompletedProcess[bytes]]) -> int:
    return sum(r.returncode == 0 and r.stdout.startswith(b"HTTP/1.1 200 OK") for r in results)


def test_the_deploy_parallelism_stays_below_sshds_limits(
    tmp_path: Path, keys: dict[str, KeyPair]
) -> None:
    config = tmp_path / "sshd_config"
    config.write_text(f"HostKey {keys['host'].private_path}\n")
    defaults = dict(
        line.split(" ", 1)
        for line in run([tool("sshd"), "-T", "-f", str(config)]).stdout.splitlines()
    )
    max_sessions = int(defaults["maxsessions"])
    first_drop = int(defaults["maxstartups"].split(":")[0])
    assert (max_sessions, first_drop) == (10, 10)  # OpenSSH's defaults, as the hosts run them
    (step,) = [
        s
        for s in load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"]
        if s.get("uses", "").startswith("pulumi/actions@")
    ]
    parallel = int(step["with"]["parallel"])
    # Each parallel operation holds at most one Docker call (one ssh session) at a time.
    assert 1 < parallel < min(max_sessions, first_drop)


def test_a_burst_as_wide_as_the_deploy_parallelism_all_arrives(
    jump_and_engine: Servers, docker_engine: DockerEngine
) -> None:
    (step,) = [
        s
        for s in load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"]
        if s.get("uses", "").startswith("pulumi/actions@")
    ]
    count = int(step["with"]["parallel"])
    # Cold: no master yet, so every dial but one shakes hands itself, under MaxStartups.
    results = dial_burst(jump_and_engine.paths, "pve-guest", _events_for_a_second(), count)
    assert _answered(results) == count, [r.stderr.decode()[-300:] for r in results]


def test_a_master_carries_a_burst_that_sshds_handshake_limit_drops(
    keys: dict[str, KeyPair], tmp_path: Path, docker_engine: DockerEngine, control_dir: Path
) -> None:
    proc, engine = start_sshd(
        tmp_path,
        "narrow",
        keys["engine_host"],
        keys["admin"],
        [f"SetEnv DOCKER_HOST={docker_engine.host}", "MaxStartups 3"],
    )
    try:
        host = SshHost(
            "narrow", "127.0.0.1", "root", (keys["engine_host"].public_key,), port=engine.port
        )
        paths = write_files(tmp_path, [host], keys["admin"].private_path, control_dir)
        request = _events_for_a_second()
        # Without multiplexing, 16 handshakes at once: sshd drops all beyond 3 unauthenticated.
        plain = dial_burst(paths, "narrow", request, 16, "-o", "ControlPath=none")
        assert _answered(plain) < 16
        assert any(b"kex_exchange_identification" in r.stderr for r in plain)
        # With the master up, 9 calls are 9 sessions on one connection (MaxSessions 10).
        warm = dial_burst(
            paths, "narrow", b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n", 1
        )
        assert _answered(warm) == 1
        request = _events_for_a_second()
        muxed = dial_burst(paths, "narrow", request, 9)
        assert _answered(muxed) == 9, [r.stderr.decode()[-300:] for r in muxed]
        # Beyond MaxSessions the master refuses and ssh falls back to a handshake of its own.
        request = _events_for_a_second()
        over = dial_burst(paths, "narrow", request, 12)
        assert any(b"Session open refused by peer" in r.stderr for r in over)
    finally:
        stop(proc)


def test_ssh_binds_a_control_path_up_to_the_limit_only(
    jump_and_engine: Servers, control_dir: Path
) -> None:
    # ssh binds "<ControlPath>.<16 random characters>" first: MAX_CONTROL_PATH is its limit.
    results = {}
    for length in (MAX_CONTROL_PATH, MAX_CONTROL_PATH + 1):
        path = str(control_dir) + "/" + "m" * (length - len(str(control_dir)) - 1)
        assert len(path) == length
        proc = run(
            [
                tool("ssh"),
                "-F",
                jump_and_engine.paths.ssh_config,
                "-o",
                f"ControlPath={path}",
                "pve",
                "true",
            ],
            check=False,
        )
        results[length] = (proc.returncode, Path(path).exists(), proc.stderr)
    assert results[MAX_CONTROL_PATH][:2] == (0, True)
    assert results[MAX_CONTROL_PATH + 1][1] is False
    assert "too long for Unix domain socket" in results[MAX_CONTROL_PATH + 1][2]


def test_readiness_over_ssh_yields_the_provider_host(jump_and_engine: Servers) -> None:
    command = readiness_command(
        Readiness(wait_for_cloud_init=False, docker_attempts=3, docker_interval_s=1)
    )
    result = run([tool("ssh"), "-F", jump_and_engine.paths.ssh_config, "pve-guest", command])
    assert docker_version_from_readiness(result.stdout).startswith("20.10")
    assert provider_host_after_readiness(result.stdout, "pve-guest") == "ssh://pve-guest"


def test_a_changed_host_key_is_refused(jump_and_engine: Servers, keys: dict[str, KeyPair]) -> None:
    # Pin a different key for the engine: ssh must refuse, never learn the new key.
    known_hosts = Path(jump_and_engine.paths.known_hosts)
    original = known_hosts.read_text()
    known_hosts.write_text(
        original.replace(keys["engine_host"].public_key, keys["stranger"].public_key)
    )
    result = run(
        [tool("ssh"), "-F", jump_and_engine.paths.ssh_config, "pve-guest", "true"], check=False
    )
    assert result.returncode == 255
    assert "Host key verification failed." in result.stderr
    assert known_hosts.read_text() == original.replace(
        keys["engine_host"].public_key, keys["stranger"].public_key
    )


def test_an_unpinned_host_is_refused(jump_and_engine: Servers, keys: dict[str, KeyPair]) -> None:
    known_hosts = Path(jump_and_engine.paths.known_hosts)
    known_hosts.write_text(
        "".join(
            line + "\n"
            for line in known_hosts.read_text().splitlines()
            if not line.startswith("pve-guest ")
        )
    )
    result = run(
        [tool("ssh"), "-F", jump_and_engine.paths.ssh_config, "pve-guest", "true"], check=False
    )
    assert result.returncode == 255
    assert "Host key verification failed." in result.stderr


# With ControlPersist, ssh sends the stderr of the hop's ssh (ProxyJump) to /dev/null (OpenSSH
# sshconnect.c: "Stderr is left for non-ControlPersist connections"): a refused hop shows in
# the guest connection only as its closed proxy; the jump host's own connection says why. The
# guests' readiness runs over the Proxmox host's pinned pulumi-command connection, which
# reports the same refusal first.
HOP_CLOSED = "Connection closed by UNKNOWN port 65535"


def test_the_jump_host_key_is_pinned_too(
    jump_and_engine: Servers, keys: dict[str, KeyPair]
) -> None:
    # The hop's ssh reads the same -F file, so the jump host's pin applies to it as well.
    replace_known = Path(jump_and_engine.paths.known_hosts)
    replace_known.write_text(
        replace_known.read_text().replace(keys["jump_host"].public_key, keys["stranger"].public_key)
    )
    config = jump_and_engine.paths.ssh_config
    result = run([tool("ssh"), "-F", config, "pve-guest", "true"], check=False)
    assert result.returncode == 255
    assert HOP_CLOSED in result.stderr
    jump = run([tool("ssh"), "-F", config, "pve", "true"], check=False)
    assert jump.returncode == 255
    assert "Host key verification failed." in jump.stderr
    assert _accepted(jump_and_engine.jump_log) == _accepted(jump_and_engine.engine_log) == 0


def test_only_the_stacks_key_authenticates(
    jump_and_engine: Servers, keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    paths = replace(jump_and_engine.paths, identity_file=str(keys["stranger"].private_path))
    other = tmp_path / "other_config"
    other.write_text(
        Path(jump_and_engine.paths.ssh_config)
        .read_text()
        .replace(jump_and_engine.paths.identity_file, paths.identity_file)
    )
    result = run([tool("ssh"), "-F", str(other), "pve-guest", "true"], check=False)
    assert result.returncode == 255
    assert HOP_CLOSED in result.stderr
    jump = run([tool("ssh"), "-F", str(other), "pve", "true"], check=False)
    assert jump.returncode == 255
    assert "Permission denied (publickey)" in jump.stderr
    assert _accepted(jump_and_engine.jump_log) == _accepted(jump_and_engine.engine_log) == 0
