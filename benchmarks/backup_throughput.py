"""Benchmark: the generated PostgreSQL backup job (pg_dump -Fc streamed into restic) next to the
same dumps written to files, in one run; the restore time next to the dump time.

Run as root: `.venv/bin/python benchmarks/backup_throughput.py [--mb 300] [--rounds 3]` (needs
what tests/backup needs: postgresql, restic, rclone). Not a test.

A real PostgreSQL 15 (tests/backup/servers.py: its own namespace and data directory) holds a
database of about ``--mb`` MB. Each round, alternating which goes first:

- **file**: the job's own dump commands (components/render/backup.py: globals, then `pg_dump
  -Fc` of each database, run where the server is) written to files;
- **restic**: the generated backup script of the job, the same dumps streamed into a local
  restic repository (a new one each round, so deduplication never helps), manifest included.

The ratio is file time / restic time (target >= 0.8x). Then the generated restore script runs
(the database dropped first) and its time is printed next to the dump time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from components.apps.backup import POSTGRES, BackupJob
from components.render.backup import PG_DUMP, PG_GLOBALS, PG_LIST, Access
from tests.backup import servers
from tests.backup.jobs import MACHINE, repositories

ROW = "select g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) as payload"


def _fill(pg: servers.Server, mb: int) -> int:
    rows = mb * 1024 * 1024 // 130
    pg.sh('psql -X -q -U postgres -d postgres -c "create database bench"')
    pg.sh(
        f'psql -X -q -U postgres -d bench -c "create table t as {ROW} '
        f'from generate_series(1, {rows}) g; alter table t add primary key (g)"'
    )
    size = pg.sh("psql -X -At -U postgres -d bench -c \"select pg_database_size('bench')\"")
    return int(size)


def _to_files(pg: servers.Server, out: Path) -> float:
    env = {**os.environ, **pg.env}
    t0 = time.perf_counter()
    listed = subprocess.run(
        [*pg.exec, "bash", "-c", PG_LIST], env=env, capture_output=True, check=True, text=True
    ).stdout.split()
    with (out / "globals.sql").open("wb") as f:
        subprocess.run([*pg.exec, "bash", "-c", PG_GLOBALS], env=env, stdout=f, check=True)
    for db in listed:
        with (out / f"{db}.pgdump").open("wb") as f:
            subprocess.run(
                [*pg.exec, "bash", "-c", f"{PG_DUMP} {db}"], env=env, stdout=f, check=True
            )
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    job = BackupJob("bench", MACHINE, "bench", POSTGRES, "postgres:15", ())
    with servers.postgres() as pg:
        size = _fill(pg, args.mb)
        print(f"database: {size / 1e6:.0f} MB (pg_database_size)")
        files: list[float] = []
        streamed: list[float] = []
        for round_ in range(args.rounds):
            order = ("file", "restic") if round_ % 2 == 0 else ("restic", "file")
            for kind in order:
                with repositories(offsite=False) as repos:
                    if kind == "file":
                        out = repos.root / "files"
                        out.mkdir()
                        files.append(_to_files(pg, out))
                        dumped = sum(p.stat().st_size for p in out.iterdir())
                    else:
                        backup, _ = repos.write(job, Access(pg.exec, ("true",), ("true",)))
                        t0 = time.perf_counter()
                        repos.run(backup, env=pg.env)
                        streamed.append(time.perf_counter() - t0)
        file_s, restic_s = statistics.median(files), statistics.median(streamed)
        print(f"dumps: {dumped / 1e6:.0f} MB (pg_dump -Fc), {args.rounds} rounds, medians")
        print(f"  to files          {file_s:7.2f} s")
        print(f"  into restic       {restic_s:7.2f} s   {file_s / restic_s:.2f}x (target >= 0.8x)")
        with repositories(offsite=False) as repos:
            backup, restore = repos.write(job, Access(pg.exec, ("true",), ("true",)))
            repos.run(backup, env=pg.env)
            pg.sh('psql -X -q -U postgres -d postgres -c "drop database bench"')
            t0 = time.perf_counter()
            repos.run(restore, env=pg.env)
            restore_s = time.perf_counter() - t0
        print(f"  restore (script)  {restore_s:7.2f} s   {restore_s / restic_s:.2f}x the backup")


if __name__ == "__main__":
    main()
