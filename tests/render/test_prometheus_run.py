"""One real run: Debian's Prometheus on a rendered prometheus.yml and the rendered rule files,
scraping Debian's node exporter on loopback, whose textfile collector serves a backup job's
freshness metric (components/metrics.py) as a backup job writes it. Through Prometheus's HTTP
API: the target is up, every rule group is loaded, the dead-man's switch fires and so does the
stale backup. The scrape and evaluation intervals are shortened for the run (1 s instead of
30 s); nothing else in the text is changed."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from components.metrics import BACKUP_LAST_SUCCESS_METRIC
from components.render.alert_rules import GROUPS, rule_files
from components.render.prometheus import (
    EVALUATION_INTERVAL,
    SCRAPE_INTERVAL,
    PrometheusSettings,
    Target,
    prometheus_yml,
)
from tests.render.tools import free_port, tool

DEADLINE_SECONDS = 20.0


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("prometheus")
    textfiles = directory / "textfile"
    textfiles.mkdir()
    # What a backup job writes (atomically, a .prom file): its last success, long ago.
    (textfiles / "backup-redis.prom").write_text(
        f'{BACKUP_LAST_SUCCESS_METRIC}{{service="redis",machine="livekit"}} 1000000000\n'
    )
    node_port, prom_port = free_port(), free_port()
    rules = directory / "rules"
    rules.mkdir()
    for name, text in rule_files().items():
        (rules / name).write_text(text)
    config = prometheus_yml(
        PrometheusSettings(
            targets=[Target("node", f"127.0.0.1:{node_port}", {"machine": "livekit"})],
            probes=[],
            blackbox_address="127.0.0.1:9",
            alertmanager_address="127.0.0.1:9",
            rules_dir=str(rules),
        )
    )
    assert f"scrape_interval: {SCRAPE_INTERVAL}" in config
    config = config.replace(f"scrape_interval: {SCRAPE_INTERVAL}", "scrape_interval: 1s")
    config = config.replace(
        f"evaluation_interval: {EVALUATION_INTERVAL}", "evaluation_interval: 1s"
    )
    (directory / "prometheus.yml").write_text(config)
    processes = [
        subprocess.Popen(
            [
                tool("prometheus-node-exporter"),
                f"--web.listen-address=127.0.0.1:{node_port}",
                f"--collector.textfile.directory={textfiles}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(directory / "prometheus.log").open("w"),
        ),
    ]
    try:
        yield f"http://127.0.0.1:{prom_port}"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _eventually(check: Any, what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as error:  # not listening yet
            last = error
        time.sleep(0.25)
    pytest.fail(f"{what} within {DEADLINE_SECONDS:.0f} s; last seen: {last}", pytrace=False)


def test_the_node_exporter_target_is_up(prometheus: str) -> None:
    def up() -> list[dict[str, Any]]:
        targets = _get(f"{prometheus}/api/v1/targets")["data"]["activeTargets"]
        return [t for t in targets if t["labels"]["job"] == "node" and t["health"] == "up"]

    (target,) = _eventually(up, "the node target up")
    assert target["labels"]["machine"] == "livekit"


def test_every_rule_group_is_loaded(prometheus: str) -> None:
    def groups() -> set[str]:
        return {g["name"] for g in _get(f"{prometheus}/api/v1/rules")["data"]["groups"]}

    assert _eventually(lambda: groups() == set(GROUPS) and groups(), "every rule group") == set(
        GROUPS
    )


def test_the_watchdog_and_the_stale_backup_fire(prometheus: str) -> None:
    def firing() -> dict[str, dict[str, str]]:
        alerts = _get(f"{prometheus}/api/v1/alerts")["data"]["alerts"]
        names = {a["labels"]["alertname"]: a["labels"] for a in alerts if a["state"] == "firing"}
        return names if {"Watchdog", "BackupStale"} <= set(names) else {}

    names = _eventually(firing, "Watchdog and BackupStale firing")
    # The job's labels come through the textfile collector and the scrape's own.
    assert names["BackupStale"]["service"] == "redis"
    assert names["BackupStale"]["severity"] == "critical"
    # The one target is up and its disk is not filling within a second: nothing else fires.
    assert "HostDown" not in names
