"""The SSH tunnel to NPM's API: ``ssh -L`` through the hops the Docker connection uses.

NPM publishes its API on the machine's 127.0.0.1:81 only (components/proxies/npm.py). The
program reaches it with the ssh_config the Docker engine's connection already writes
(components/render/ssh_config.py: pinned host keys, the stack's key, for a prod guest
``ProxyJump`` through its Proxmox host): ``ssh -F <config> -N -L 127.0.0.1:<free>:127.0.0.1:81
<alias>`` forwards a local port to the machine's loopback. The forward runs over its own
connection (``ControlPath none``): a multiplexed ``-L`` would live in the shared master, past
this process. ``ExitOnForwardFailure`` ends ssh when the local port cannot be bound, and a
refused forward ("administratively prohibited": a server whose sshd forbids it) is reported
with ssh's own words.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .npm import API_PORT

READY_TIMEOUT_S = 60.0


class TunnelError(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tunnel_argv(ssh_config: str, alias: str, local_port: int, remote_port: int) -> list[str]:
    return [
        shutil.which("ssh") or "ssh",
        "-F",
        ssh_config,
        "-N",
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=none",
        "-L",
        f"127.0.0.1:{local_port}:127.0.0.1:{remote_port}",
        "--",
        alias,
    ]


@contextmanager
def ssh_tunnel(ssh_config: str, alias: str, remote_port: int = API_PORT) -> Iterator[str]:
    """``http://127.0.0.1:<port>``, forwarded to ``remote_port`` on the loopback of ``alias``."""
    local_port = _free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            tunnel_argv(ssh_config, alias, local_port, remote_port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

        def stderr() -> str:
            log.seek(0)
            return log.read().decode(errors="replace").strip()

        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    raise TunnelError(f"ssh to {alias} ended ({proc.returncode}): {stderr()}")
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", local_port)) == 0:
                        break
                if time.monotonic() > deadline:
                    raise TunnelError(f"ssh to {alias}: no forward after {READY_TIMEOUT_S}s")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{local_port}"
        except Exception as error:
            said = stderr()
            if said and said not in str(error):
                raise TunnelError(f"{error} (ssh to {alias}: {said})") from error
            raise
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def project_ssh_config(ssh_config: str) -> str:
    """The ssh_config a resource's ``api`` names, relative to the project directory, as an
    absolute path in this checkout.

    The path is relative so that the NPM objects' inputs are the same from every checkout (a
    CI runner clones to a new temporary directory each time; an absolute path would show every
    object as an update). The project directory is the working directory: the program runs
    there (components/program.py) and the engine starts every provider plugin, the dynamic
    provider included, in it (pulumi/pulumi#15607: plugins get the deployment's ``pwd``,
    sdk/go/common/resource/plugin/plugin.go:377 at f1f4d22). The program writes the file there
    when it runs, before any NPM object can be touched (components/docker/engine.py: an invoke
    that waits for the engine's readiness output, so a preview writes it only while that output
    is known, i.e. the engine is unchanged). An operation that does not run the program calls this
    provider with the state's inputs alone: ``pulumi refresh``, ``pulumi destroy`` and the
    refresh that ``preview --refresh`` / ``up --refresh`` make before the program runs, unless
    given ``--run-program`` (pulumi/pulumi#18868 for refresh and destroy, #19449 for preview and
    up with ``--refresh``; or ``PULUMI_RUN_PROGRAM=true``). In a checkout where the program has
    not run (a fresh CI clone) the file is then missing, and the error says what to run."""
    path = Path(ssh_config)
    if not path.is_absolute():
        path = Path.cwd() / path
    if not path.is_file():
        raise TunnelError(
            f"api.sshConfig {ssh_config}: no such file in {Path.cwd()}; the program writes it "
            "when it runs, which refresh and destroy do not by default: give them (and "
            "preview/up --refresh) --run-program or PULUMI_RUN_PROGRAM=true, or first run "
            "`pulumi up`, or `pulumi preview` while the engines are unchanged, in this checkout"
        )
    return str(path)


@contextmanager
def api_base_url(api: Mapping[str, str]) -> Iterator[str]:
    """The API's base URL for a resource's ``api`` input: ``{sshConfig, alias}`` (a tunnel;
    ``sshConfig`` relative to the project, or absolute) or ``{url}`` (an address reached
    directly, as the tests' server is)."""
    if "url" in api:
        yield api["url"]
        return
    with ssh_tunnel(project_ssh_config(api["sshConfig"]), api["alias"]) as url:
        yield url
