"""Restore round trips on real servers, with the generated scripts and real restic repositories.

For each engine: data written to a real server (Debian's PostgreSQL 15, MariaDB 10.11, Redis 7.0
with appendonly, InfluxDB 1.6), the GENERATED backup script run (dumps streamed into a local
restic repository, copied to a second one served by ``rclone serve restic``), the data wiped,
the GENERATED restore script run, and the data compared with what was written. A failing dump
leaves the job failed, no snapshot of the run in the repository and the success metric as it
was. Retention (forget + prune) and ``check --read-data-subset`` run for real.

The exec prefix is the one parameter that differs from the plan: ``ip netns exec <ns>`` reaches
the server's namespace where the plan's ``docker exec -i <container>`` reaches its container
(tests/docker/test_backup_exec.py proves that prefix streams byte for byte).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from components.apps.backup import INFLUXDB, MARIADB, POSTGRES, REDIS, BackupJob
from components.metrics import BACKUP_LAST_ATTEMPT_METRIC, BACKUP_LAST_SUCCESS_METRIC
from components.render.backup import Access

from . import servers
from .jobs import MACHINE, Repositories, repositories
from .servers import Server


def job(service: str, method: str, volumes: tuple[tuple[str, str], ...] = ()) -> BackupJob:
    return BackupJob(
        service=service,
        machine=MACHINE,
        container=service,
        method=method,
        image="unused:1",
        volumes=volumes,
    )


def in_server(server: Server) -> Access:
    """Commands where the server is; no writer to stop (dump methods run online)."""
    return Access(exec=server.exec, stop=("true",), start=("true",))


@pytest.fixture(scope="module")
def repos() -> Iterator[Repositories]:
    with repositories() as found:
        yield found


@pytest.fixture(scope="module")
def postgres() -> Iterator[Server]:
    with servers.postgres() as server:
        yield server


@pytest.fixture(scope="module")
def mariadb() -> Iterator[Server]:
    with servers.mariadb() as server:
        yield server


@pytest.fixture(scope="module")
def redis() -> Iterator[Server]:
    with servers.redis() as server:
        yield server


@pytest.fixture(scope="module")
def influxdb() -> Iterator[Server]:
    with servers.influxdb() as server:
        yield server


PG_ROWS = "select count(*), sum(a), md5(string_agg(b, ',' order by a)) from t"


def test_postgres_round_trip_through_both_repositories(
    repos: Repositories, postgres: Server
) -> None:
    pg = postgres
    pg.sh("psql -X -q -U postgres -d postgres -c \"create role app login password 'x'\"")
    pg.sh('psql -X -q -U postgres -d postgres -c "create database shop owner app"')
    pg.sh(
        'psql -X -q -U postgres -d shop -c "create table t(a int primary key, b text); '
        "insert into t select g, md5(g::text) from generate_series(1, 5000) g; "
        'alter table t owner to app"'
    )
    written = pg.sh(f'psql -X -At -U postgres -d shop -c "{PG_ROWS}"')
    backup, restore = repos.write(job("pg", POSTGRES), in_server(pg))
    done = repos.run(backup, env=pg.env)
    assert "stored: /pg/globals.sql" in done.stderr
    stored = repos.snapshots("PRIMARY", "--tag", "job=pg")
    assert {"/pg/globals.sql", "/pg/shop.pgdump", "/pg/postgres.pgdump", "/pg/manifest"} <= set(
        stored
    )
    # The off-site repository got the same snapshots through rclone's REST server.
    assert sorted(repos.snapshots("OFFSITE", "--tag", "job=pg")) == sorted(stored)
    success = repos.metric("pg", "success")
    assert success is not None
    assert f'{BACKUP_LAST_SUCCESS_METRIC}{{service="pg",machine="{MACHINE}"}}' in success

    pg.sh('psql -X -q -U postgres -d postgres -c "drop database shop"')
    repos.run(restore, env=pg.env)
    assert pg.sh(f'psql -X -At -U postgres -d shop -c "{PG_ROWS}"') == written
    owner = pg.sh(
        "psql -X -At -U postgres -d shop -c "
        "\"select tableowner from pg_tables where tablename = 't'\""
    )
    assert owner == b"app\n"

    # From the off-site copy, into a database changed since: back as it was.
    pg.sh('psql -X -q -U postgres -d shop -c "delete from t where a > 10"')
    repos.run(restore, "--offsite", env=pg.env)
    assert pg.sh(f'psql -X -At -U postgres -d shop -c "{PG_ROWS}"') == written


def test_postgres_failing_dump_fails_the_job_and_stores_nothing(
    repos: Repositories, postgres: Server
) -> None:
    pg = postgres
    backup, _ = repos.write(job("pgfail", POSTGRES), in_server(pg))
    repos.run(backup, env=pg.env)
    before = repos.snapshots("PRIMARY", "--tag", "job=pgfail")
    success = repos.metric("pgfail", "success")
    attempt = repos.metric("pgfail", "attempt")
    time.sleep(1.1)  # the metrics count seconds: a new attempt shows a new value

    # A database the job cannot name: the globals are already stored when the run fails.
    pg.sh("psql -X -q -U postgres -d postgres -c 'create database \"bad name\"'")
    try:
        failed = repos.run(backup, env=pg.env, check=False)
    finally:
        pg.sh("psql -X -q -U postgres -d postgres -c 'drop database \"bad name\"'")
    assert failed.returncode != 0
    assert "snapshots of run=" in failed.stderr
    assert "were forgotten" in failed.stderr
    assert repos.snapshots("PRIMARY", "--tag", "job=pgfail") == before
    assert repos.metric("pgfail", "success") == success
    assert repos.metric("pgfail", "attempt") != attempt
    assert BACKUP_LAST_ATTEMPT_METRIC in (repos.metric("pgfail", "attempt") or "")

    # A dump that cannot log in (the container's password is wrong): nothing stored either.
    wrong = {**pg.env, "POSTGRES_PASSWORD": "not-the-password"}
    failed = repos.run(backup, env=wrong, check=False)
    assert failed.returncode != 0
    assert "password authentication failed" in failed.stderr
    assert "listing the databases failed" in failed.stderr
    assert repos.snapshots("PRIMARY", "--tag", "job=pgfail") == before
    assert repos.metric("pgfail", "success") == success


MARIADB_ROWS = "select count(*), sum(a), md5(group_concat(b order by a)) from shop.t"


def test_mariadb_round_trip(repos: Repositories, mariadb: Server) -> None:
    my = mariadb
    my.sh(
        "mariadb -uroot -e 'create database shop; use shop; "
        "create table t (a int primary key, b text) engine=innodb; "
        "insert into t select seq, md5(seq) from seq_1_to_5000'"
    )
    written = my.sh(f"mariadb -uroot -N -e '{MARIADB_ROWS}'")
    backup, restore = repos.write(job("sql", MARIADB), in_server(my))
    repos.run(backup, env=my.env)
    assert "/sql/all-databases.sql" in repos.snapshots("OFFSITE", "--tag", "job=sql")
    my.sh("mariadb -uroot -e 'drop database shop'")
    repos.run(restore, env=my.env)
    assert my.sh(f"mariadb -uroot -N -e '{MARIADB_ROWS}'") == written


def test_redis_round_trip_with_its_aof_directory(repos: Repositories, redis: Server) -> None:
    rd = redis
    rd.sh("for i in $(seq 1 2000); do echo SET key:$i value-$i; done | redis-cli > /dev/null")
    assert rd.sh("redis-cli DBSIZE") == b"2000\n"
    # The writer is stopped for the restore and started again: the test's own server.
    access = Access(
        exec=rd.exec,
        stop=(*rd.exec, "sh", "-c", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli shutdown nosave'),
        start=(*rd.exec, "redis-server", rd.extra["conf"]),
        volume_dirs={"cache-data": rd.extra["data"]},
    )
    backup, restore = repos.write(job("cache", REDIS, (("cache-data", "/data"),)), access)
    repos.run(backup, env=rd.env)
    assert "/cache/dump.rdb" in repos.snapshots("OFFSITE", "--tag", "job=cache")
    # Written after the backup: appended to the AOF, which the restore must not replay.
    rd.sh("redis-cli FLUSHALL > /dev/null; redis-cli SET after-backup 1 > /dev/null")
    repos.run(restore, env=rd.env)
    servers.wait_until(
        "Redis after the restore",
        [*rd.exec, "redis-cli", "ping"],
        env={**os.environ, **rd.client},
    )
    # appendonly yes: Redis loaded the restored AOF base, exactly the backed-up keys.
    assert rd.sh("redis-cli CONFIG GET appendonly") == b"appendonly\nyes\n"
    assert rd.sh("redis-cli DBSIZE") == b"2000\n"
    assert rd.sh("redis-cli GET key:1234") == b"value-1234\n"
    assert rd.sh("redis-cli EXISTS after-backup") == b"0\n"


def test_redis_failing_snapshot_fails_the_job(repos: Repositories, redis: Server) -> None:
    rd = redis
    backup, _ = repos.write(job("cachefail", REDIS, (("d", "/data"),)), in_server(rd))
    # The container's password is not the server's: LASTSAVE is refused, nothing is dumped.
    failed = repos.run(backup, env={**rd.env, "REDIS_PASSWORD": "wrong"}, check=False)
    assert failed.returncode != 0, failed.stderr
    assert "the dump exited" in failed.stderr
    assert repos.snapshots("PRIMARY", "--tag", "job=cachefail") == []
    assert repos.metric("cachefail", "success") is None
    assert repos.metric("cachefail", "attempt") is not None


INFLUX_QUERY = "influx -database sensors -execute 'SELECT * FROM temp' -format csv"


def test_influxdb_round_trip(repos: Repositories, influxdb: Server) -> None:
    ix = influxdb
    ix.sh(
        "influx -execute 'CREATE DATABASE sensors' && for i in $(seq 1 50); do "
        'influx -database sensors -execute "INSERT temp,room=r$i value=$i $i"; done'
    )
    written = ix.sh(INFLUX_QUERY)
    assert written.count(b"\n") == 51
    backup, restore = repos.write(job("tsdb", INFLUXDB), in_server(ix))
    repos.run(backup, env=ix.env)
    assert "/tsdb/portable.tar" in repos.snapshots("OFFSITE", "--tag", "job=tsdb")
    ix.sh("influx -execute 'DROP DATABASE sensors'")
    repos.run(restore, env=ix.env)
    # A restored shard is enabled a moment after `influxd restore` returns.
    deadline = time.monotonic() + 30
    while ix.sh(INFLUX_QUERY, check=False) != written and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ix.sh(INFLUX_QUERY) == written


def test_retention_forgets_and_prunes_and_check_reads_back(
    repos: Repositories, postgres: Server, mariadb: Server, redis: Server, influxdb: Server
) -> None:
    """After the round trips above: the runner runs every job twice more, then keeps one
    manifest per day (keepDaily; all runs are today) and forgets the runs without a kept
    manifest, on both repositories, and prunes; the check reads data back from both."""
    env = {**postgres.env, **mariadb.env, **redis.env, **influxdb.env}
    runner = repos.runner()
    for _ in range(2):
        done = repos.run(runner, env=env, check=False)
        # cachefail's container password is wrong on purpose only in its own test: here all pass.
        assert done.returncode == 0, done.stderr
    for which in ("PRIMARY", "OFFSITE"):
        assert repos.snapshots(which, "--path", "/pg/manifest") == ["/pg/manifest"]
        assert sorted(repos.snapshots(which, "--tag", "job=pg")) == sorted(
            ["/pg/globals.sql", "/pg/shop.pgdump", "/pg/postgres.pgdump", "/pg/manifest"]
        )
        assert sorted(repos.snapshots(which, "--tag", "job=cache")) == [
            "/cache/dump.rdb",
            "/cache/manifest",
        ]
    # What was kept still restores.
    written = postgres.sh(f'psql -X -At -U postgres -d shop -c "{PG_ROWS}"')
    postgres.sh('psql -X -q -U postgres -d postgres -c "drop database shop"')
    repos.run(repos.root / "jobs" / "pg.restore", env=postgres.env)
    assert postgres.sh(f'psql -X -At -U postgres -d shop -c "{PG_ROWS}"') == written
    check = repos.run(repos.checker(), env=env)
    assert check.stdout.count("no errors were found") == 2
    assert "read 5.0% of data packs" in check.stdout
