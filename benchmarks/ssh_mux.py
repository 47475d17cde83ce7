"""Benchmark: Docker API calls through the generated ssh_config, with and without multiplexing,
next to the engine's local socket, in one run.

Run as root: `.venv/bin/python benchmarks/ssh_mux.py [--rounds N]` (needs what tests/docker
and tests/render need: `docker.io`, `openssh-server`, `musl-tools`). Not a test.

One real dockerd (tests/docker/engine.py, in its own network namespace) and one real sshd on
loopback whose sessions reach that engine (`SetEnv DOCKER_HOST`), as a server's sshd reaches its
own dockerd; its session shell reads Debian's /etc/skel/.bashrc, as a new admin user's does
(this machine's /root/.bashrc starts pyenv: ~0.2 s a session that no server pays). The
ssh_config and known_hosts are the renderer's (components/render/ssh_config.py); each call runs
pulumi-docker's own argv (docker/cli v28.5.2 connhelper: `ssh -F <config> -o ConnectTimeout=30
-T -- <alias> docker system dial-stdio`) and speaks HTTP over its stdin and stdout, as the
provider's commandconn does. Transports:

- **local**: the engine's unix socket;
- **ssh**: the generated config with multiplexing turned off on the command line
  (`-o ControlMaster=no -o ControlPath=none`): a handshake per connection;
- **ssh+mux**: the generated config as it is (ControlMaster auto, ControlPersist).

Client patterns, both the provider's (kreuzwerker internal/provider/config.go caches one client
per provider; its HTTP transport keeps idle connections):
- **kept**: sequential calls on one kept-alive connection (one `ssh` for all of them);
- **new**: a new connection per call (every concurrent call, any call after the idle one was
  dropped, and the `docker` CLI): one `ssh` process per call.

Workloads: 100 inspects of one container (`GET /containers/<id>/json`), and creating 20
containers (`POST /containers/create`), sequentially and 8 at a time (the deploy workflow's
`parallel`). Rounds alternate the transports; the medians are printed with each one's ratio to
the local socket. Target: ssh+mux within 1.5x of the local socket.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.render.ssh_config import (  # noqa: E402
    SshClientPaths,
    SshHost,
    docker_ssh_opts,
    known_hosts_text,
    ssh_config_text,
)
from tests.docker.engine import (  # noqa: E402
    PROBE_IMAGE,
    DockerEngine,
    import_probe_image,
    start_dockerd,
    stop_engine,
)
from tests.render.tools import make_keypair, start_sshd, stop  # noqa: E402

ALIAS = "bench-engine"
NO_MUX = ("-o", "ControlMaster=no", "-o", "ControlPath=none")
INSPECTS = 100
CREATES = 20
PARALLEL = 8


@dataclass
class Transport:
    name: str
    connect: Callable[[], tuple[http.client.HTTPConnection, Callable[[], None]]]


def unix_transport(engine: DockerEngine) -> Transport:
    def connect() -> tuple[http.client.HTTPConnection, Callable[[], None]]:
        conn = http.client.HTTPConnection("docker")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(engine.socket))
        conn.sock = sock
        return conn, conn.close

    return Transport("local", connect)


def ssh_transport(name: str, paths: SshClientPaths, extra: tuple[str, ...]) -> Transport:
    # docker/cli v28.5.2 cli/connhelper: ssh <ssh_opts> -o ConnectTimeout=30 -T -- <host> <cmd>
    argv = [
        "ssh",
        *docker_ssh_opts(paths),
        *extra,
        "-o",
        "ConnectTimeout=30",
        "-T",
        "--",
        ALIAS,
        "docker",
        "system",
        "dial-stdio",
    ]

    def connect() -> tuple[http.client.HTTPConnection, Callable[[], None]]:
        # http.client wants a socket: one end of a socketpair, ssh's stdin and stdout the other.
        ours, theirs = socket.socketpair()
        proc = subprocess.Popen(argv, stdin=theirs, stdout=theirs, stderr=subprocess.DEVNULL)
        theirs.close()
        conn = http.client.HTTPConnection("docker")
        conn.sock = ours

        def close() -> None:
            conn.close()
            proc.wait(timeout=30)

        return conn, close

    return Transport(name, connect)


def call(conn: http.client.HTTPConnection, method: str, path: str, body: object = None) -> bytes:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return data


def inspect_kept(t: Transport, container: str) -> None:
    conn, close = t.connect()
    for _ in range(INSPECTS):
        call(conn, "GET", f"/containers/{container}/json")
    close()


def inspect_new(t: Transport, container: str) -> None:
    for _ in range(INSPECTS):
        conn, close = t.connect()
        call(conn, "GET", f"/containers/{container}/json")
        close()


def _create(t: Transport, name: str) -> None:
    conn, close = t.connect()
    call(conn, "POST", f"/containers/create?name={name}", {"Image": PROBE_IMAGE, "Cmd": ["x"]})
    close()


def create_kept(t: Transport, prefix: str) -> None:
    conn, close = t.connect()
    for i in range(CREATES):
        call(
            conn,
            "POST",
            f"/containers/create?name={prefix}-{i}",
            {"Image": PROBE_IMAGE, "Cmd": ["x"]},
        )
    close()


def create_new(t: Transport, prefix: str) -> None:
    for i in range(CREATES):
        _create(t, f"{prefix}-{i}")


def create_parallel(t: Transport, prefix: str) -> None:
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        list(pool.map(lambda i: _create(t, f"{prefix}-{i}"), range(CREATES)))


def remove_created(engine: DockerEngine, prefix: str) -> None:
    for container in engine.api.containers(all=True, filters={"name": prefix}):
        engine.api.remove_container(container["Id"], force=True)


@dataclass
class Workload:
    name: str
    run: Callable[[Transport, str], None]
    creates: bool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root (dockerd, its network namespace, sshd)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="shbench-", dir="/tmp"))
    engine = start_dockerd()
    sshd = None
    try:
        import_probe_image(engine)
        target = engine.api.create_container(PROBE_IMAGE, ["x"], name="bench-target")["Id"]
        admin = make_keypair(work, "admin")
        host_key = make_keypair(work, "host")
        # The session shell reads Debian's /etc/skel/.bashrc, as a new admin user's does.
        sshd, server = start_sshd(
            work, "bench", host_key, admin, [f"SetEnv DOCKER_HOST={engine.host}"], skel_bashrc=True
        )
        control = work / "cm"
        control.mkdir(mode=0o700)
        hosts = [SshHost(ALIAS, "127.0.0.1", "root", (host_key.public_key,), port=server.port)]
        paths = SshClientPaths(
            ssh_config=str(work / "config"),
            known_hosts=str(work / "known_hosts"),
            identity_file=str(admin.private_path),
            control_dir=str(control),
        )
        Path(paths.ssh_config).write_text(ssh_config_text(hosts, paths))
        Path(paths.known_hosts).write_text(known_hosts_text(hosts))
        transports = [
            unix_transport(engine),
            ssh_transport("ssh", paths, NO_MUX),
            ssh_transport("ssh+mux", paths, ()),
        ]
        workloads = [
            Workload(f"{INSPECTS} inspects, kept", lambda t, _: inspect_kept(t, target), False),
            Workload(f"{INSPECTS} inspects, new", lambda t, _: inspect_new(t, target), False),
            Workload(f"{CREATES} creates, kept", create_kept, True),
            Workload(f"{CREATES} creates, new", create_new, True),
            Workload(f"{CREATES} creates, new, {PARALLEL} at once", create_parallel, True),
        ]
        # Warm up every path once (image metadata, the master's first handshake is counted
        # below only in the rounds that follow, as in a long `pulumi up`).
        for t in transports:
            inspect_kept(t, target)
        times: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds):
            for w in workloads:
                order = transports if round_ % 2 == 0 else transports[::-1]
                for t in order:
                    prefix = f"bench-{round_}-{t.name.replace('+', '')}"
                    started = time.perf_counter()
                    w.run(t, prefix)
                    times.setdefault((w.name, t.name), []).append(time.perf_counter() - started)
                    if w.creates:
                        remove_created(engine, prefix)
        print(f"rounds: {args.rounds}; medians in seconds (ratio to the local socket)")
        header = f"{'workload':34}" + "".join(f"{t.name:>18}" for t in transports)
        print(header)
        for w in workloads:
            local = statistics.median(times[(w.name, "local")])
            cells = []
            for t in transports:
                median = statistics.median(times[(w.name, t.name)])
                cells.append(f"{median:8.3f} ({median / local:5.1f}x)")
            print(f"{w.name:34}" + "".join(f"{c:>18}" for c in cells))
        print(f"sshd handshakes accepted: {server.log().count('Accepted publickey')}")
    finally:
        if sshd is not None:
            stop(sshd)
        for socket_path in (work / "cm").glob("*"):
            subprocess.run(
                ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", ALIAS],
                capture_output=True,
                check=False,
            )
        stop_engine(engine)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
