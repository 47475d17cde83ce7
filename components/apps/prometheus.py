"""Prometheus: its container and its files (prometheus.yml and the alert
files), on the monitoring machine. The targets come from components/derive/monitoring.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components.values import AppContribution, FilePlan

if TYPE_CHECKING:
    from components.render.prometheus import Probe, Target
    from components.spec.monitoring import MonitoringSpec

IMAGE = "prom/prometheus:v2.53.3"
PORT = 9090
CONFIG_DIR = "/etc/prometheus"
CONFIG_PATH = f"{CONFIG_DIR}/prometheus.yml"
RULES_DIR = f"{CONFIG_DIR}/rules"
DATA_DIR = "/prometheus"


def command(monitoring: MonitoringSpec) -> list[str]:
    retention = monitoring.retention
    flags = [
        f"--config.file={CONFIG_PATH}",
        f"--storage.tsdb.path={DATA_DIR}",
        f"--storage.tsdb.retention.time={retention.time}",
        f"--web.listen-address=:{PORT}",
        # The backup job's snapshot (POST /api/v1/admin/tsdb/snapshot) while Prometheus runs
        # (components/apps/backup.py); it also opens series deletion to whoever reaches the
        # port: the monitoring network's members only (docs/backups.md).
        "--web.enable-admin-api",
    ]
    if retention.sizeGb is not None:
        flags.append(f"--storage.tsdb.retention.size={retention.sizeGb}GB")
    return flags


def service_doc(monitoring: MonitoringSpec, networks: Sequence[str]) -> dict[str, Any]:
    return {
        "machine": monitoring.machine,
        "image": IMAGE,
        "command": command(monitoring),
        "networks": list(networks),
        "stateful": True,
        "volumes": [{"name": "prometheus-data", "path": DATA_DIR}],
        "resources": monitoring.resources.of("prometheus").model_dump(),
        "healthcheck": {"test": ["CMD", "wget", "-qO-", f"http://127.0.0.1:{PORT}/-/ready"]},
    }


def contribute(
    targets: Sequence[Target], probes: Sequence[Probe], blackbox: str, alertmanager: str
) -> AppContribution:
    from components.render.alert_rules import rule_files  # noqa: PLC0415 -- see components/apps
    from components.render.prometheus import (  # noqa: PLC0415
        PrometheusSettings,
        prometheus_yml,
    )

    config = prometheus_yml(
        PrometheusSettings(
            targets=targets,
            probes=probes,
            blackbox_address=blackbox,
            alertmanager_address=alertmanager,
            rules_dir=RULES_DIR,
        )
    )
    files = [FilePlan(path=CONFIG_PATH, content=config)]
    files += [FilePlan(path=f"{RULES_DIR}/{n}", content=t) for n, t in rule_files().items()]
    return AppContribution(files=tuple(files))
