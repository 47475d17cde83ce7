"""The monitoring set's backups while it runs (review finding 6: no nightly stop of Prometheus
or Alertmanager), with the GENERATED scripts, real restic repositories and Debian's
Prometheus 2.42 and Alertmanager 0.25 in a network namespace each.

Prometheus scrapes itself every second and runs with the plan's ``--web.enable-admin-api``
(components/apps/prometheus.py); the backup's stop command is ``false``, so a job that stopped
the server would fail. The job asks for a TSDB snapshot, stores it and removes it; Prometheus
answers throughout with the same process. The restore (the test's stop kills the server and
empties its data directory) brings back the snapshot, and the restarted Prometheus answers a
query over the samples before the backup exactly as before. Alertmanager: a silence made with
amtool, written to its ``silences`` file by its maintenance, is backed up while it runs and is
there again after a restore into an emptied directory.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.apps import prometheus
from components.apps.backup import BackupJob
from components.render.backup import Access, backup_script, restore_script
from tests.monitored_stacks import monitored_plan
from tests.stacks import stack_spec
from tests.tools import require

from . import servers
from .jobs import MACHINE, Repositories, repositories

ALERTMANAGER_PORT = 9093
NEVER = ("false",)  # a backup that stopped its service would fail


@dataclass
class Daemon:
    """A server in its namespace, started and stopped by shell commands the scripts can run."""

    ns: str
    data: Path
    start: tuple[str, ...]
    stop: tuple[str, ...]
    pid_file: Path

    @property
    def pid(self) -> int:
        return int(self.pid_file.read_text())


def _daemon(ns: str, root: Path, argv: list[str]) -> Daemon:
    data = root / "data"
    data.mkdir()
    pid_file = root / "pid"
    line = " ".join(argv)
    # Every descriptor redirected: a server left running must not hold the scripts' pipes.
    start = f"ip netns exec {ns} {line} > {root}/log 2>&1 < /dev/null & echo $! > {pid_file}"
    # The test's own stop: the server gone and its data with it, so only a restore brings
    # anything back.
    stop = (
        f'pid=$(cat {pid_file}); kill "$pid"; '
        f'while kill -0 "$pid" 2> /dev/null; do sleep 0.1; done; rm -rf {data}/* {data}/.[!.]*'
    )
    return Daemon(ns, data, ("sh", "-c", start), ("sh", "-c", stop), pid_file)


def _ready(daemon: Daemon, url: str) -> None:
    servers.wait_until(url, ["ip", "netns", "exec", daemon.ns, "wget", "-qO-", url])


def _start(daemon: Daemon, ready: str) -> None:
    servers.run(daemon.start)
    _ready(daemon, ready)


def _get(daemon: Daemon, url: str) -> bytes:
    return servers.run(["ip", "netns", "exec", daemon.ns, "wget", "-qO-", url]).stdout


@pytest.fixture(scope="module")
def repos() -> Iterator[Repositories]:
    with repositories(offsite=False) as found:
        yield found


def _job(service: str) -> BackupJob:
    """staging's job for the set's ``service``, as the plan derives it, on the test machine."""
    plan = monitored_plan("staging")
    (job,) = (j for m in plan.backups.values() for j in m.jobs if j.service == service)
    return dataclasses.replace(job, machine=MACHINE)


def _scripts(repos: Repositories, job: BackupJob, daemon: Daemon) -> tuple[Path, Path]:
    """The job's backup script, which may not stop the server, and its restore script, which
    stops and starts it with the test's commands."""
    (volume,) = (name for name, _ in job.volumes)
    exec_ = ("ip", "netns", "exec", daemon.ns)
    dirs = {volume: str(daemon.data)}
    backup = repos.root / f"{job.service}.backup"
    restore = repos.root / f"{job.service}.restore"
    never = Access(exec=exec_, stop=NEVER, start=NEVER, volume_dirs=dirs)
    backup.write_text(backup_script(job, never, repos.paths))
    own = Access(exec=exec_, stop=daemon.stop, start=daemon.start, volume_dirs=dirs)
    restore.write_text(restore_script(job, own, repos.paths))
    for script in (backup, restore):
        script.chmod(0o700)
    return backup, restore


@pytest.fixture
def prometheus_server() -> Iterator[Daemon]:
    (binary,) = require("prometheus")
    # The plan's Prometheus flags that are not paths or addresses (the admin API's among them:
    # the snapshot needs it).
    spec = stack_spec("staging").monitoring
    assert spec is not None
    plan_flags = [f for f in prometheus.command(spec) if f.startswith("--web.enable")]
    with servers.namespace() as ns, servers.scratch("backup-prometheus-") as root:
        (root / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: self\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{prometheus.PORT}']}}]\n"
        )
        daemon = _daemon(
            ns,
            root,
            [
                binary,
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus.PORT}",
                *plan_flags,
            ],
        )
        _start(daemon, f"http://127.0.0.1:{prometheus.PORT}/-/ready")
        try:
            yield daemon
        finally:
            servers.run(daemon.stop, check=False)


def _answer(daemon: Daemon, at: float) -> list[dict[str, object]]:
    query = urllib.parse.urlencode(
        {"query": 'count_over_time(up{job="self"}[1h])', "time": f"{at:.3f}"}
    )
    answer = json.loads(_get(daemon, f"http://127.0.0.1:{prometheus.PORT}/api/v1/query?{query}"))
    result: list[dict[str, object]] = answer["data"]["result"]
    return result


def _samples_until(daemon: Daemon, at: float) -> str:
    """How many scrapes of itself Prometheus holds up to ``at``."""
    (result,) = _answer(daemon, at)
    value = result["value"]
    assert isinstance(value, list)
    return str(value[1])


def test_prometheus_is_backed_up_running_and_restored(
    repos: Repositories, prometheus_server: Daemon
) -> None:
    daemon = prometheus_server
    deadline = time.monotonic() + 30
    while len(_answer(daemon, time.time())) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)
    at = time.time() - 1
    before = _samples_until(daemon, at)
    assert int(before) >= 2
    pid = daemon.pid
    backup, restore = _scripts(repos, _job("prometheus"), daemon)
    done = repos.run(backup)
    assert "stored: /prometheus/tsdb.tar" in done.stderr
    # Never stopped, and the snapshot is gone from the data directory.
    assert daemon.pid == pid
    assert os.path.exists(f"/proc/{pid}")
    assert _samples_until(daemon, at) == before
    assert not (daemon.data / "snapshots").exists()

    repos.run(restore)
    assert daemon.pid != pid
    _ready(daemon, f"http://127.0.0.1:{prometheus.PORT}/-/ready")
    assert _samples_until(daemon, at) == before


@pytest.fixture
def alertmanager_server() -> Iterator[Daemon]:
    (binary,) = require("prometheus-alertmanager")
    with servers.namespace() as ns, servers.scratch("backup-alertmanager-") as root:
        (root / "alertmanager.yml").write_text(
            "route: {receiver: none}\nreceivers:\n  - name: none\n"
        )
        daemon = _daemon(
            ns,
            root,
            [
                binary,
                f"--config.file={root / 'alertmanager.yml'}",
                f"--storage.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{ALERTMANAGER_PORT}",
                "--cluster.listen-address=",
                # Its state files written every second, not every 15 minutes.
                "--data.maintenance-interval=1s",
            ],
        )
        _start(daemon, f"http://127.0.0.1:{ALERTMANAGER_PORT}/-/ready")
        try:
            yield daemon
        finally:
            servers.run(daemon.stop, check=False)


def _amtool(daemon: Daemon, *args: str) -> str:
    url = f"--alertmanager.url=http://127.0.0.1:{ALERTMANAGER_PORT}"
    argv = ["ip", "netns", "exec", daemon.ns, *require("amtool"), url, *args]
    return servers.run(argv).stdout.decode()


def test_alertmanager_is_backed_up_running_and_restored(
    repos: Repositories, alertmanager_server: Daemon
) -> None:
    daemon = alertmanager_server
    silence = _amtool(
        daemon, "silence", "add", "alertname=Nightly", "--comment=kept", "--author=t", "-d", "2h"
    ).strip()
    assert silence
    servers.wait_until("the silences file", ["test", "-s", str(daemon.data / "silences")])
    pid = daemon.pid
    backup, restore = _scripts(repos, _job("alertmanager"), daemon)
    done = repos.run(backup)
    assert "/alertmanager/silences" in done.stderr
    assert daemon.pid == pid

    repos.run(restore)
    assert daemon.pid != pid
    _ready(daemon, f"http://127.0.0.1:{ALERTMANAGER_PORT}/-/ready")
    assert _amtool(daemon, "silence", "query", "-q") == f"{silence}\n"
