"""The postgres exporter as derived for jupiter-complete, for real: Debian's postgres_exporter
(0.11; the image pins 0.16, which reads the same DATA_SOURCE_URI/USER/PASS variables) with the
derived environment, against Debian's PostgreSQL initialised as the postgres image does with
the stack's POSTGRES_USER (``initdb -U <POSTGRES_USER>``: no role ``postgres`` exists then).

The exporter's own ``pg_up`` is the proof: 1 with the derived user, 0 with the image's default
``postgres`` (what a derivation that ignores POSTGRES_USER would give it).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from components.derive.plan import stack_plan
from tests.backup import servers
from tests.stacks import stack_spec
from tests.tools import tool

STACK = "jupiter-complete"
EXPORTER_ADDRESS = "127.0.0.1:9187"


def _stack() -> tuple[str, dict[str, str]]:
    """The stack file's POSTGRES_USER, and the derived exporter's plain env."""
    spec = stack_spec(STACK)
    user = spec.services["postgres"].env["POSTGRES_USER"]
    assert isinstance(user, str)
    exporter = stack_plan(spec).services["postgres-exporter"]
    return user, dict(exporter.env)


@pytest.fixture(scope="module")
def server() -> Iterator[servers.Server]:
    user, _ = _stack()
    with servers.postgres(superuser=user) as running:
        yield running


def _pg_up(server: servers.Server, env: dict[str, str]) -> str:
    """Start the exporter where the server is, with ``env``; its ``pg_up`` line."""
    process = subprocess.Popen(
        [
            *server.exec,
            tool("prometheus-postgres-exporter"),
            f"--web.listen-address={EXPORTER_ADDRESS}",
        ],
        env={"PATH": os.environ["PATH"], **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://{EXPORTER_ADDRESS}/metrics"
        servers.wait_until("postgres_exporter", [*server.exec, tool("curl"), "-fsS", url])
        metrics = servers.run([*server.exec, tool("curl"), "-fsS", url]).stdout.decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
    (line,) = [m for m in metrics.splitlines() if m.startswith("pg_up ")]
    return line


def _env(**changes: Any) -> dict[str, str]:
    _, env = _stack()
    # The database's alias on its network is this server's address; the password is the
    # value of the stack's secret (here the server's).
    env["DATA_SOURCE_URI"] = env["DATA_SOURCE_URI"].replace("postgres:5432", "127.0.0.1:5432")
    return {**env, "DATA_SOURCE_PASS": servers.PASSWORD, **changes}


def test_the_derived_exporter_logs_in_as_the_stacks_postgres_user(
    server: servers.Server,
) -> None:
    user, env = _stack()
    assert env["DATA_SOURCE_USER"] == user
    assert env["DATA_SOURCE_URI"] == "postgres:5432/postgres?sslmode=disable"
    assert _pg_up(server, _env()) == "pg_up 1"


def test_the_images_default_user_does_not_exist_there(server: servers.Server) -> None:
    assert _pg_up(server, _env(DATA_SOURCE_USER="postgres")) == "pg_up 0"
