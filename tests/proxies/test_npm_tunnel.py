"""The tunnel to NPM's API with real OpenSSH: the program's ssh_config, a real sshd with the
sshd drop-in cloud-init writes on a droplet (staging), and a jump host in front of a guest
(prod). On the far side the schema-enforcing NPM server listens on 127.0.0.1:81, as NPM's
loopback-only publication does; the API client reaches it through the tunnel only."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.proxies import npm
from components.proxies.npm_api import NpmApi
from components.proxies.npm_tunnel import TunnelError, api_base_url, ssh_tunnel
from components.render.cloud_init import TUNNEL_TARGET, sshd_hardening
from components.render.ssh_config import SshClientPaths, SshHost, known_hosts_text, ssh_config_text
from tests.render.tools import KeyPair, make_keypair, start_sshd, stop

from .npm_server import NpmState, npm_server

EMAIL = "admin@example.com"
PASSWORD = "the-admin-password"


def droplet_sshd_lines() -> list[str]:
    """The cloud-init drop-in, less what names this machine's user and key (the test's sshd
    logs in as root with its own host key)."""
    skip = ("HostKey ", "AllowUsers ", "PermitRootLogin ", "#")
    return [line for line in sshd_hardening("deploy").splitlines() if not line.startswith(skip)]


@dataclass(frozen=True)
class Servers:
    ssh_config: str
    state: NpmState
    jump_log: Path
    guest_port: int


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    directory = tmp_path_factory.mktemp("npm-tunnel")
    keys: dict[str, KeyPair] = {
        name: make_keypair(directory, name) for name in ("admin", "jump", "guest", "droplet")
    }
    procs = []
    try:
        jump_proc, jump = start_sshd(directory, "jump", keys["jump"], keys["admin"])
        procs.append(jump_proc)
        guest_proc, guest = start_sshd(
            directory, "guest", keys["guest"], keys["admin"], droplet_sshd_lines()
        )
        procs.append(guest_proc)
        hosts = [
            SshHost("staging", "127.0.0.1", "root", (keys["guest"].public_key,), port=guest.port),
            SshHost("ax102", "127.0.0.1", "root", (keys["jump"].public_key,), port=jump.port),
            SshHost(
                "ax102-proxy",
                "127.0.0.1",
                "root",
                (keys["guest"].public_key,),
                port=guest.port,
                jump="ax102",
            ),
        ]
        paths = SshClientPaths(
            ssh_config=str(directory / "config"),
            known_hosts=str(directory / "known_hosts"),
            identity_file=str(keys["admin"].private_path),
            control_dir=str(directory),
        )
        Path(paths.ssh_config).write_text(ssh_config_text(hosts, paths))
        Path(paths.known_hosts).write_text(known_hosts_text(hosts))
        with npm_server("v2.12.6", EMAIL, PASSWORD, port=npm.API_PORT) as (_, state):
            yield Servers(paths.ssh_config, state, jump.log_path, guest.port)
    finally:
        for socket_path in directory.glob("*"):
            if socket_path.is_socket():
                subprocess.run(
                    ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "x"],
                    capture_output=True,
                    timeout=10,
                    check=False,
                )
        for proc in procs:
            stop(proc)


def test_the_drop_in_allows_the_one_forward_to_npms_api() -> None:
    assert f"127.0.0.1:{npm.API_PORT}" == TUNNEL_TARGET
    lines = sshd_hardening("deploy").splitlines()
    assert "AllowTcpForwarding local" in lines
    assert f"PermitOpen {TUNNEL_TARGET}" in lines


@pytest.mark.parametrize("alias", ["staging", "ax102-proxy"])
def test_the_api_is_reached_through_the_tunnel(servers: Servers, alias: str) -> None:
    api = {"sshConfig": servers.ssh_config, "alias": alias}
    before = len(servers.jump_log.read_text())
    with api_base_url(api) as url, NpmApi(url, EMAIL, PASSWORD) as client:
        assert url.startswith("http://127.0.0.1:")
        assert not url.endswith(f":{npm.API_PORT}")
        created = client.create(
            "proxy-hosts",
            {
                "domain_names": [f"{alias}.example.com"],
                "forward_scheme": "http",
                "forward_host": "frontend",
                "forward_port": 3000,
            },
        )
    assert servers.state.objects["proxy-hosts"][created["id"]]["domain_names"] == [
        f"{alias}.example.com"
    ]
    # prod's path really hops through the Proxmox host: its sshd opened the way to the guest.
    since = servers.jump_log.read_text()[before:]
    hopped = f"target 127.0.0.1 port {servers.guest_port}" in since
    assert hopped is (alias == "ax102-proxy")


def test_a_forward_anywhere_else_is_refused_by_the_drop_in(servers: Servers) -> None:
    def log_in_through_a_forward_to_port_22() -> None:
        with (
            ssh_tunnel(servers.ssh_config, "staging", remote_port=22) as url,
            NpmApi(url, EMAIL, PASSWORD) as client,
        ):
            client.token()

    with pytest.raises(TunnelError, match="administratively prohibited"):
        log_in_through_a_forward_to_port_22()


def test_a_project_relative_ssh_config_is_found_from_the_working_directory(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resources carry the ssh_config relative to the project (the same from every
    checkout); the provider runs in the project directory and finds it there."""
    config = Path(servers.ssh_config)
    monkeypatch.chdir(config.parent.parent)
    api = {"sshConfig": f"{config.parent.name}/{config.name}", "alias": "staging"}
    with api_base_url(api) as url, NpmApi(url, EMAIL, PASSWORD) as client:
        assert client.token()


def test_a_missing_ssh_config_names_the_path_and_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    api = {"sshConfig": ".selfhosted/ssh/prod/ax102-proxy/config", "alias": "ax102-proxy"}
    with pytest.raises(TunnelError) as raised, api_base_url(api):
        pass
    assert str(raised.value) == (
        f"api.sshConfig .selfhosted/ssh/prod/ax102-proxy/config: no such file in {tmp_path}; "
        "the program writes it when it runs, which refresh and destroy do not by default: give "
        "them (and preview/up --refresh) --run-program or PULUMI_RUN_PROGRAM=true, or first run "
        "`pulumi up`, or `pulumi preview` while the engines are unchanged, in this checkout"
    )
