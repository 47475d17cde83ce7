"""pgBouncer for real: Debian's pgbouncer (1.18) with the files rendered from jupiter-hybrid's
pgbouncer service, in front of Debian's PostgreSQL 15 started here with TLS.

The server's certificate is signed by a CA made here (``cryptography``), with ``localhost``
alone in its SAN; its pg_hba accepts only TLS (``hostssl``) for the managed-like user and
plain TCP for a second user (the in-stack shape). The pgbouncer.ini, auth_file and CA file are
what the stack's app renders (components/apps/pgbouncer.py via its ``Rendered`` files), given
this server's host, port, database, user and password as the cluster's values, and the users'
passwords as the secrets; only the container's paths are mapped into the temp dir and the
listen port moved to a free one. Servers start once for the module.

What a client sees is the proof: the right password connects and its query runs over TLS on the
server side; a wrong password and an unknown user are refused; with a CA that did not sign the
server's certificate, or a host name not in its SAN, pgBouncer refuses the server and the
client gets an error. The auth_hba_file decides who opens what: the stats user (the
exporter's password) opens the console and is rejected on jupiter-complete's database, which
pgBouncer pools as the server's superuser; a database with its own clients rejects the other
database's user; the stacks' pg_isready healthcheck still passes.
"""

from __future__ import annotations

import datetime
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.apps import pgbouncer
from components.derive.plan import stack_plan
from components.spec.services import ServiceSpec
from components.values import FilePlan, Rendered, SecretPath
from tests.stacks import stack_spec
from tests.tools import tool

DB_USER = "jupiter_app"  # platform:databases.main.user of the stack
DB_NAME = "jupiter"  # platform:databases.main.database
DB_PASSWORD = "server 'pass\" word"  # quotes and a space: the ini's quoting is exercised
PLAIN_USER = "plain_app"
CLIENT_PASSWORD = "client-secret-1"
STATS_PASSWORD = "stats-secret-1"
OTHER_USER, OTHER_DB, OTHER_PASSWORD = "other_app", "other", "other-secret-1"
SERVER_NAME = "localhost"


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"missing {name} (Debian package postgresql); bash scripts/test.sh installs it")
    return found[-1]


def _as_postgres() -> dict[str, str]:
    # initdb, postgres and pgbouncer refuse to run as root; CI runs as root.
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited {process.returncode}: {log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"port {port} never opened: {log.read_text()}")


@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    other_ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _pki() -> Pki:
    ca_key, ca = _ca("test cluster CA")
    _, other = _ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("pg-test-server"))  # not a host name: only the SAN names one
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return Pki(
        ca_pem=ca.public_bytes(pem),
        other_ca_pem=other.public_bytes(pem),
        cert_pem=cert.public_bytes(pem),
        key_pem=key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def _write(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(mode)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


@dataclass(frozen=True)
class Server:
    port: int
    directory: Path
    pki: Pki


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-test-"))
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[Server]:
    pki = _pki()
    data = workdir / "data"
    port = _free_port()
    subprocess.run(
        [
            _postgres_bin("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ],
        check=True,
        capture_output=True,
        **_as_postgres(),
    )
    _write(data / "server.crt", pki.cert_pem)
    _write(data / "server.key", pki.key_pem)
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = "
            f"'{workdir}'\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
        )
    # The managed-like user only over TLS; the plain user (an in-stack service) over TCP.
    (data / "pg_hba.conf").write_text(
        "local all postgres trust\n"
        f"hostssl {DB_NAME} {DB_USER} 127.0.0.1/32 scram-sha-256\n"
        f"hostnossl {DB_NAME} {DB_USER} 127.0.0.1/32 reject\n"
        f"host {DB_NAME} {PLAIN_USER} 127.0.0.1/32 scram-sha-256\n"
    )
    log = workdir / "postgres.log"
    subprocess.run(
        [_postgres_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "start"],
        check=True,
        capture_output=True,
        **_as_postgres(),
    )
    try:
        quoted = DB_PASSWORD.replace("'", "''")
        statements = (
            f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{quoted}'",
            f"CREATE ROLE {PLAIN_USER} LOGIN PASSWORD 'plain-server-pass'",
            f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}",  # not in a transaction: its own -c
        )
        subprocess.run(
            [
                tool("psql"),
                "-h",
                str(workdir),
                "-p",
                str(port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                *(a for s in statements for a in ("-c", s)),
            ],
            check=True,
            capture_output=True,
            **_as_postgres(),
        )
        yield Server(port=port, directory=workdir, pki=pki)
    finally:
        subprocess.run(
            [_postgres_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
            **_as_postgres(),
        )


def _stack_pgbouncer() -> ServiceSpec:
    """The pgbouncer service of Pulumi.jupiter-hybrid.yaml, as the stack declares it."""
    return stack_spec("jupiter-hybrid").services["pgbouncer"]


def _render(content: str | Rendered, values: Mapping[str, str]) -> str:
    if isinstance(content, str):
        return content
    wanted = {*content.secrets, *content.outputs}
    return content.render({k: v for k, v in values.items() if k in wanted})


@dataclass(frozen=True)
class Bouncer:
    port: int
    log: Path
    ini: str


def _start_bouncer(
    workdir: Path, tag: str, service: ServiceSpec, values: Mapping[str, str]
) -> tuple[subprocess.Popen[bytes], Bouncer]:
    """pgbouncer with the app's rendered files, their /etc/pgbouncer paths mapped to a dir."""
    directory = workdir / tag
    directory.mkdir()
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    port = _free_port()
    assert isinstance(service.app, pgbouncer.Spec)
    # A short wait for a server, so a refused server reaches the client as pgBouncer's error
    # in seconds (the stack keeps pgBouncer's 120).
    app = service.app.model_copy(update={"listenPort": port, "queryWaitTimeoutSeconds": 2})
    service = service.model_copy(update={"app": app})
    files: tuple[FilePlan, ...] = pgbouncer.contribute("pgbouncer", service).files
    ini = ""
    for file in files:
        text = _render(file.content, values).replace(f"{pgbouncer.CONFIG_DIR}/", f"{directory}/")
        _write(directory / Path(file.path).name, text, int(file.mode, 8))
        if file.path == pgbouncer.CONFIG_PATH:
            ini = text
    log = directory / "pgbouncer.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [tool("pgbouncer"), str(directory / "pgbouncer.ini")],
            stdout=out,
            stderr=subprocess.STDOUT,
            **_as_postgres(),
        )
    _wait_port(port, process, log)
    return process, Bouncer(port=port, log=log, ini=ini)


def _managed_values(server: Server, *, host: str, ca: bytes) -> dict[str, str]:
    """The cluster's values as the stack's database component gives them, and the secrets."""
    return {
        "managed.main.host": host,
        "managed.main.port": str(server.port),
        "managed.main.database": DB_NAME,
        "managed.main.user": DB_USER,
        "managed.main.password": DB_PASSWORD,
        "ca": ca.decode(),
        "user.jupiter": CLIENT_PASSWORD,
        "user.stats": STATS_PASSWORD,
    }


@pytest.fixture(scope="module")
def bouncers(server: Server) -> Iterator[dict[str, Bouncer]]:
    stack = _stack_pgbouncer()
    plain = ServiceSpec.model_validate(
        {
            "machine": "jupiter",
            "image": stack.image,
            "app": {
                "kind": "pgbouncer",
                "databases": {
                    "jupiter": {
                        "service": SERVER_NAME,
                        "port": server.port,
                        "user": PLAIN_USER,
                        "password": {"secret": "plain.password"},
                    }
                },
                "users": {
                    "jupiter": {"secret": "pgbouncer.users.jupiter"},
                    OTHER_USER: {"secret": "pgbouncer.users.other"},
                },
            },
        }
    )
    # A second database, its own user's alone: the first's user may not open it, nor it the
    # first (whose clients default to every user but the stats users, so name them).
    assert isinstance(plain.app, pgbouncer.Spec)
    databases = {
        "jupiter": plain.app.databases["jupiter"].model_copy(update={"clients": ["jupiter"]}),
        OTHER_DB: plain.app.databases["jupiter"].model_copy(update={"clients": [OTHER_USER]}),
    }
    plain = plain.model_copy(update={"app": plain.app.model_copy(update={"databases": databases})})
    # jupiter-complete's pgBouncer, its one database pointed at this server.
    complete = stack_spec("jupiter-complete").services["pgbouncer"]
    assert isinstance(complete.app, pgbouncer.Spec)
    entry = complete.app.databases["jupiter"].model_copy(
        update={"service": SERVER_NAME, "port": server.port, "user": PLAIN_USER}
    )
    complete = complete.model_copy(
        update={"app": complete.app.model_copy(update={"databases": {"jupiter": entry}})}
    )
    pki = server.pki
    setups = {
        "verified": (stack, _managed_values(server, host=SERVER_NAME, ca=pki.ca_pem)),
        "other-ca": (stack, _managed_values(server, host=SERVER_NAME, ca=pki.other_ca_pem)),
        "name-not-in-san": (stack, _managed_values(server, host="127.0.0.1", ca=pki.ca_pem)),
        "plain": (
            plain,
            {
                "db.jupiter.password": "plain-server-pass",
                f"db.{OTHER_DB}.password": "plain-server-pass",
                "user.jupiter": CLIENT_PASSWORD,
                f"user.{OTHER_USER}": OTHER_PASSWORD,
            },
        ),
        "complete": (
            complete,
            {
                "db.jupiter.password": "plain-server-pass",
                "user.jupiter": CLIENT_PASSWORD,
                "user.stats": STATS_PASSWORD,
            },
        ),
    }
    processes = []
    started: dict[str, Bouncer] = {}
    try:
        for tag, (service, values) in setups.items():
            process, bouncer = _start_bouncer(server.directory, tag, service, values)
            processes.append(process)
            started[tag] = bouncer
        yield started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _psql(
    port: int,
    sql: str,
    *,
    user: str = "jupiter",
    password: str = CLIENT_PASSWORD,
    dbname: str = "jupiter",
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            tool("psql"),
            f"host=127.0.0.1 port={port} dbname={dbname} user={user} sslmode=disable "
            "connect_timeout=10",
            "-XAtq",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PGPASSWORD": password},
    )


# pgBouncer's answer when no auth_hba_file line matches (src/client.c: "login rejected").
REJECTED = "login rejected"
TLS_QUERY = "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def test_the_rendered_ini_verifies_the_cluster_and_logs_in_as_its_user(
    bouncers: dict[str, Bouncer],
) -> None:
    ini = bouncers["verified"].ini
    assert "server_tls_sslmode = verify-full" in ini
    assert "auth_type = hba" in ini
    assert f"user='{DB_USER}'" in ini
    assert "auth_query" not in ini


def test_right_password_connects_through_tls_to_the_server(bouncers: dict[str, Bouncer]) -> None:
    result = _psql(bouncers["verified"].port, TLS_QUERY)
    assert result.returncode == 0, result.stderr
    # pgBouncer logged in as the cluster's user, and the server side of it is TLS.
    assert result.stdout.strip() == f"{DB_USER}|t"


def test_wrong_password_is_refused(bouncers: dict[str, Bouncer]) -> None:
    result = _psql(bouncers["verified"].port, "SELECT 1", password="not-the-password")
    assert result.returncode != 0
    # pgBouncer's own SCRAM exchange fails (the server is never asked).
    assert "SASL authentication failed" in result.stderr, result.stderr


def test_a_user_not_in_the_auth_file_is_refused(bouncers: dict[str, Bouncer]) -> None:
    # The server's own user and password do not open pgBouncer: clients are the auth_file's,
    # and no auth_hba_file line names another.
    result = _psql(bouncers["verified"].port, "SELECT 1", user=DB_USER, password=DB_PASSWORD)
    assert result.returncode != 0
    assert REJECTED in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        ("other-ca", "certificate verify failed"),
        ("name-not-in-san", "name `127.0.0.1' not present in server certificate"),
    ],
)
def test_an_unverified_server_is_refused(
    bouncers: dict[str, Bouncer], tag: str, reason: str
) -> None:
    result = _psql(bouncers[tag].port, "SELECT 1")
    assert result.returncode != 0
    assert result.stdout == ""
    # The client's error is pgBouncer's own, not its connect timeout.
    assert "query_wait_timeout" in result.stderr, result.stderr
    log = bouncers[tag].log.read_text()
    # pgBouncer's own reason, on its TLS handshake error line.
    assert any("TLS handshake error" in line and reason in line for line in log.splitlines()), log


def test_the_plain_shape_pools_an_in_stack_service(bouncers: dict[str, Bouncer]) -> None:
    assert "server_tls_sslmode = disable" in bouncers["plain"].ini
    result = _psql(
        bouncers["plain"].port,
        "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{PLAIN_USER}|f"


def test_jupiter_completes_pgbouncer_pools_its_postgres(bouncers: dict[str, Bouncer]) -> None:
    result = _psql(bouncers["complete"].port, TLS_QUERY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{PLAIN_USER}|f"


# What prometheus-community/pgbouncer_exporter v0.12.1 runs on each scrape (collector.go: SHOW
# LISTS, CONFIG, CLIENTS, DATABASES and POOLS through its metric maps, STATS, VERSION).
EXPORTER_QUERIES = ("LISTS", "CONFIG", "CLIENTS", "DATABASES", "POOLS", "STATS", "VERSION")


@pytest.mark.parametrize("query", EXPORTER_QUERIES)
def test_the_exporter_as_derived_reads_the_console(
    bouncers: dict[str, Bouncer], query: str
) -> None:
    # The derived exporter's connection string and PGUSER/PGPASSWORD, which libpq (psql) reads
    # as lib/pq does; only the host:port moves to this pgBouncer.
    spec = stack_spec("jupiter-complete")
    plan = stack_plan(spec)
    exporter = plan.services["pgbouncer-exporter"]
    url = exporter.env["PGBOUNCER_EXPORTER_CONNECTION_STRING"]
    assert url.startswith("postgres://pgbouncer:5432/pgbouncer?")
    url = url.replace("pgbouncer:5432", f"127.0.0.1:{bouncers['complete'].port}")
    # The password is the stats user's own secret of the stack.
    app = spec.services["pgbouncer"].app
    assert isinstance(app, pgbouncer.Spec)
    (stats,) = app.statsUsers
    assert exporter.env["PGUSER"] == stats
    assert exporter.secret_env["PGPASSWORD"] == SecretPath(app.users[stats].secret)
    result = subprocess.run(
        [tool("psql"), url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", f"SHOW {query}"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PGUSER": stats, "PGPASSWORD": STATS_PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), query


def test_the_stats_user_cannot_administer_and_others_cannot_read(
    bouncers: dict[str, Bouncer],
) -> None:
    port = bouncers["complete"].port
    # A stats user runs SHOW only: PAUSE is an admin command.
    paused = _psql(port, "PAUSE", user="stats", password=STATS_PASSWORD, dbname="pgbouncer")
    assert paused.returncode != 0
    assert "admin access needed" in paused.stderr, paused.stderr
    # The app's user is no stats user: the console refuses it.
    app = _psql(port, "SHOW STATS", dbname="pgbouncer")
    assert app.returncode != 0
    assert "not allowed" in app.stderr, app.stderr


def test_the_stats_user_opens_the_console_only(bouncers: dict[str, Bouncer]) -> None:
    # jupiter-complete's pgBouncer pools its database as the server's superuser: the stats
    # user's password (the exporter's, on the monitoring network) must not open it.
    port = bouncers["complete"].port
    opened = _psql(port, "SELECT current_user", user="stats", password=STATS_PASSWORD)
    assert opened.returncode != 0
    assert REJECTED in opened.stderr, opened.stderr
    # Its own right password was given, and the console still opens with it.
    console = _psql(port, "SHOW VERSION", user="stats", password=STATS_PASSWORD, dbname="pgbouncer")
    assert console.returncode == 0, console.stderr


def test_each_database_opens_to_its_own_clients_only(bouncers: dict[str, Bouncer]) -> None:
    port = bouncers["plain"].port
    for user, password, dbname in (
        ("jupiter", CLIENT_PASSWORD, OTHER_DB),
        (OTHER_USER, OTHER_PASSWORD, "jupiter"),
    ):
        result = _psql(port, "SELECT 1", user=user, password=password, dbname=dbname)
        assert result.returncode != 0, (user, dbname)
        assert REJECTED in result.stderr, result.stderr
    own = _psql(port, "SELECT current_user", user="jupiter", password=CLIENT_PASSWORD)
    assert own.returncode == 0, own.stderr
    assert own.stdout.strip() == PLAIN_USER


@pytest.mark.parametrize("stack", ["jupiter-complete", "jupiter-hybrid"])
def test_the_stacks_healthcheck_passes_against_the_rendered_files(
    bouncers: dict[str, Bouncer], stack: str
) -> None:
    # The stack file's own check (pg_isready, no user of the auth_file): a rejection by the
    # auth_hba_file is still a pgBouncer that answers, which is all the check asks.
    test = stack_spec(stack).services["pgbouncer"].healthcheck
    assert test is not None
    command = test.test[1:]
    assert command[0] == "pg_isready"
    tag = "complete" if stack == "jupiter-complete" else "verified"
    command = [
        tool("pg_isready"),
        *(str(bouncers[tag].port) if part == "5432" else part for part in command[1:]),
    ]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
