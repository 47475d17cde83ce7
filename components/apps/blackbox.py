"""The blackbox exporter: HTTPS probes of every public route, certificate expiry included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components.values import AppContribution, FilePlan

if TYPE_CHECKING:
    from components.spec.monitoring import MonitoringSpec

IMAGE = "prom/blackbox-exporter:v0.25.0"
PORT = 9115
CONFIG_PATH = "/etc/blackbox_exporter/config.yml"


def service_doc(monitoring: MonitoringSpec, networks: Sequence[str]) -> dict[str, Any]:
    return {
        "machine": monitoring.machine,
        "image": IMAGE,
        "command": [f"--config.file={CONFIG_PATH}", f"--web.listen-address=:{PORT}"],
        "networks": list(networks),
        "resources": monitoring.resources.of("blackbox").model_dump(),
        "healthcheck": {"test": ["CMD", "wget", "-qO-", f"http://127.0.0.1:{PORT}/-/healthy"]},
    }


def contribute() -> AppContribution:
    from components.render.prometheus import blackbox_yml  # noqa: PLC0415 -- see components/apps

    return AppContribution(files=(FilePlan(path=CONFIG_PATH, content=blackbox_yml()),))
