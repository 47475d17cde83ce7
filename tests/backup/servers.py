"""Real database servers for the restore round trips, each in its own network namespace.

Debian's PostgreSQL 15, MariaDB 10.11, Redis 7.0 and InfluxDB 1.6 run on their default ports
inside a namespace of their own, with data directories and sockets under a temporary directory,
so nothing collides with another test or a server of the machine. ``ip netns exec <ns>`` is the
generated scripts' exec prefix here, where the plan's is ``docker exec -i <container>``: both
run the same dump command where the server is.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.tools import require

PASSWORD = "round-trip-" + secrets.token_hex(6)


def run(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        list(argv), input=stdin, capture_output=True, env=env, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv)} exited {proc.returncode}\nstdout: {proc.stdout.decode()[-3000:]}"
            f"\nstderr: {proc.stderr.decode()[-3000:]}"
        )
    return proc


def wait_until(
    what: str, probe: Sequence[str], timeout: float = 60, env: dict[str, str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    last = b""
    while time.monotonic() < deadline:
        proc = subprocess.run(list(probe), capture_output=True, env=env, timeout=30, check=False)
        if proc.returncode == 0:
            return
        last = proc.stdout + proc.stderr
        time.sleep(0.3)
    raise AssertionError(f"{what} did not come up in {timeout}s: {last.decode()[-2000:]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def namespace() -> Iterator[str]:
    """A network namespace with its loopback up."""
    if os.geteuid() != 0:
        pytest.fail("the backup round trips need root (network namespaces)", pytrace=False)
    require("ip")
    name = "bk-" + secrets.token_hex(4)
    run(["ip", "netns", "add", name])
    try:
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        yield name
    finally:
        run(["ip", "netns", "delete", name], check=False)


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A directory other users can traverse (the servers' own users write below it)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Server:
    """A running server: how to reach it (``exec``), the environment its container would give
    the dump (``env``), and its process."""

    ns: str
    root: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # What the test's own client commands add (never given to the generated scripts).
    client: dict[str, str] = field(default_factory=dict)

    @property
    def exec(self) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.ns)

    def sh(self, script: str, *, stdin: bytes | None = None, check: bool = True) -> bytes:
        """``script`` where the server is, with its environment."""
        env = {**os.environ, **self.env, **self.client}
        return run([*self.exec, "sh", "-c", script], env=env, stdin=stdin, check=check).stdout


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def postgres(superuser: str = "postgres") -> Iterator[Server]:
    """``superuser``: the image's POSTGRES_USER (its initdb's ``-U``), postgres by default."""
    require("ip")
    binaries = Path("/usr/lib/postgresql/15/bin")
    if not (binaries / "postgres").exists():
        pytest.fail("PostgreSQL 15 is missing: apt-get install postgresql", pytrace=False)
    with namespace() as ns, scratch("backup-pg-") as root:
        data, sockets = root / "data", root / "run"
        for path in (data, sockets):
            path.mkdir()
            shutil.chown(path, "postgres", "postgres")
        pwfile = root / "pw"
        pwfile.write_text(PASSWORD)
        shutil.chown(pwfile, "postgres", "postgres")
        run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                superuser,
                "-A",
                "scram-sha-256",
                f"--pwfile={pwfile}",
            ]
        )
        process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "runuser",
                "-u",
                "postgres",
                "--",
                str(binaries / "postgres"),
                "-D",
                str(data),
                "-k",
                str(sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env = {"PGHOST": str(sockets), "POSTGRES_PASSWORD": PASSWORD, "POSTGRES_USER": superuser}
        try:
            wait_until("PostgreSQL", [str(binaries / "pg_isready"), "-h", str(sockets)])
            yield Server(ns, root, env, process, client={"PGPASSWORD": PASSWORD})
        finally:
            _stop(process)


@contextmanager
def mariadb() -> Iterator[Server]:
    require("ip")
    if shutil.which("mariadbd", path="/usr/sbin:/usr/bin") is None:
        pytest.fail("MariaDB is missing: apt-get install mariadb-server", pytrace=False)
    with namespace() as ns, scratch("backup-mariadb-") as root:
        data, sock = root / "data", root / "mysqld.sock"
        run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={data}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            timeout=300,
        )
        process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "/usr/sbin/mariadbd",
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={sock}",
                "--bind-address=127.0.0.1",
                "--user=root",
                f"--pid-file={root / 'mysqld.pid'}",
                "--innodb-buffer-pool-size=32M",
                "--skip-log-bin",
                f"--log-error={root / 'error.log'}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(
                "MariaDB",
                [
                    "ip",
                    "netns",
                    "exec",
                    ns,
                    "mariadb",
                    "--no-defaults",
                    "-uroot",
                    f"--socket={sock}",
                    "-e",
                    "select 1",
                ],
            )
            run(
                [
                    "ip",
                    "netns",
                    "exec",
                    ns,
                    "mariadb",
                    "--no-defaults",
                    "-uroot",
                    f"--socket={sock}",
                    "-e",
                    f"ALTER USER root@localhost IDENTIFIED BY '{PASSWORD}'",
                ]
            )
            # Debian's client config names /run/mysqld/mysqld.sock, which beats MYSQL_UNIX_PORT;
            # $MARIADB_HOME/my.cnf is read after it (as a container's own client config is).
            (root / "my.cnf").write_text(f"[client]\nsocket={sock}\n")
            env = {"MARIADB_HOME": str(root), "MARIADB_ROOT_PASSWORD": PASSWORD}
            yield Server(ns, root, env, process, client={"MYSQL_PWD": PASSWORD})
        finally:
            _stop(process)


@contextmanager
def redis() -> Iterator[Server]:
    """Redis with ``appendonly yes`` (staging's), daemonized: the restore stops and starts it."""
    require("ip")
    if shutil.which("redis-server") is None:
        pytest.fail("Redis is missing: apt-get install redis-server", pytrace=False)
    with namespace() as ns, scratch("backup-redis-") as root:
        data = root / "data"
        data.mkdir()
        conf = root / "redis.conf"
        conf.write_text(
            f"bind 127.0.0.1\nport 6379\ndir {data}\nappendonly yes\nrequirepass {PASSWORD}\n"
            f"daemonize yes\npidfile {root / 'redis.pid'}\nlogfile {root / 'redis.log'}\n"
            "save 3600 1\n"
        )
        env = {"REDIS_PASSWORD": PASSWORD}
        server = Server(
            ns,
            root,
            env,
            extra={"conf": str(conf), "data": str(data)},
            client={"REDISCLI_AUTH": PASSWORD},
        )
        start = ["ip", "netns", "exec", ns, "redis-server", str(conf)]
        run(start)
        try:
            wait_until(
                "Redis",
                ["ip", "netns", "exec", ns, "redis-cli", "ping"],
                env={**os.environ, "REDISCLI_AUTH": PASSWORD},
            )
            yield server
        finally:
            server.sh("redis-cli shutdown nosave", check=False)


@contextmanager
def influxdb() -> Iterator[Server]:
    require("ip")
    if shutil.which("influxd") is None:
        pytest.fail("InfluxDB 1.x is missing: apt-get install influxdb", pytrace=False)
    with namespace() as ns, scratch("backup-influx-") as root:
        conf = root / "influxdb.conf"
        conf.write_text(
            f'reporting-disabled = true\nbind-address = "127.0.0.1:8088"\n'
            f'[meta]\n  dir = "{root}/meta"\n'
            f'[data]\n  dir = "{root}/data"\n  wal-dir = "{root}/wal"\n'
            '[http]\n  bind-address = "127.0.0.1:8086"\n  log-enabled = false\n'
        )
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, "influxd", "-config", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(
                "InfluxDB", ["ip", "netns", "exec", ns, "influx", "-execute", "SHOW DATABASES"]
            )
            yield Server(ns, root, {}, process)
        finally:
            _stop(process)


@contextmanager
def rest_server(directory: Path) -> Iterator[str]:
    """``rclone serve restic`` on the loopback: the off-site repository's server."""
    require("rclone")
    port = free_port()
    process = subprocess.Popen(
        ["rclone", "serve", "restic", "--addr", f"127.0.0.1:{port}", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield url
    finally:
        _stop(process)
