"""ssh_config and known_hosts checked by OpenSSH itself.

`ssh -G` shows the options ssh would use; then real `sshd` servers on loopback stand in for a
Proxmox host (the jump host) and a guest's engine, and the very argv pulumi-docker builds
(docker/cli v28.5.2 cli/connhelper: `ssh <ssh_opts> -o ConnectTimeout=30 -T -- <host> docker
system dial-stdio`) reaches a real dockerd through the jump host with pinned keys.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
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
    SshClientPaths,
    SshHost,
    docker_host,
    docker_ssh_opts,
    known_hosts_text,
    ssh_config_text,
)
from tests.tools import tool

from .tools import DockerEngine, KeyPair, run, start_sshd, stop


def write_files(directory: Path, hosts: list[SshHost], identity: Path) -> SshClientPaths:
    paths = SshClientPaths(
        ssh_config=str(directory / "ssh_config"),
        known_hosts=str(directory / "known_hosts"),
        identity_file=str(identity),
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


def test_pulumi_docker_options() -> None:
    paths = SshClientPaths("/run/platform/ssh_config", "/run/platform/known_hosts", "/k/id")
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
    paths = SshClientPaths("/tmp/x/ssh_config", "relative/known_hosts", "/k/%h")
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
    ):
        assert expected in text


@dataclass(frozen=True)
class Servers:
    paths: SshClientPaths
    jump_log: Path
    engine_port: int


@pytest.fixture
def jump_and_engine(
    keys: dict[str, KeyPair], tmp_path: Path, docker_engine: DockerEngine
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
            write_files(tmp_path, hosts, keys["admin"].private_path), jump.log_path, engine.port
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


def test_the_jump_host_key_is_pinned_too(
    jump_and_engine: Servers, keys: dict[str, KeyPair]
) -> None:
    # The hop's ssh reads the same -F file, so the jump host's pin applies to it as well.
    replace_known = Path(jump_and_engine.paths.known_hosts)
    replace_known.write_text(
        replace_known.read_text().replace(keys["jump_host"].public_key, keys["stranger"].public_key)
    )
    result = run(
        [tool("ssh"), "-F", jump_and_engine.paths.ssh_config, "pve-guest", "true"], check=False
    )
    assert result.returncode == 255
    assert "Host key verification failed." in result.stderr


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
    assert "Permission denied (publickey)" in result.stderr
