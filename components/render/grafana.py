"""Grafana provisioning as code: datasources with fixed uids, dashboards from the repo's files.

Grafana reads ``provisioning/datasources/*.yaml`` and ``provisioning/dashboards/*.yaml`` at
start (the keys and their sources: tests/provider_facts/grafana.py). It expands ``$NAME`` and
``${NAME}`` from the environment in those YAML files, so a literal ``$`` is written ``$$``
(``escape``). Dashboards are JSON files a file provider loads; they name their datasource by
uid, the uids here, and are not expanded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .yaml_text import dump_yaml

PROMETHEUS_UID = "prometheus"
ALERTMANAGER_UID = "alertmanager"
LOKI_UID = "loki"
DASHBOARDS_PACKAGE = "components.apps.dashboards"
DASHBOARD_FOLDER = "Platform"


def escape(value: Any) -> Any:
    """``value`` with every ``$`` in its strings doubled (Grafana's literal dollar)."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, Mapping):
        return {key: escape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [escape(item) for item in value]
    return value


@dataclass(frozen=True)
class GrafanaSettings:
    prometheus_url: str
    alertmanager_url: str
    dashboards_dir: str
    loki_url: str | None = None  # the stack's Loki (components/apps/loki.py), if it has one


def _provisioning_yaml(document: dict[str, Any]) -> str:
    """A provisioning file: apiVersion 1, every ``$`` escaped."""
    return dump_yaml(escape({"apiVersion": 1, **document}))


def datasources_yaml(settings: GrafanaSettings) -> str:
    # The Loki plugin's id is "loki" (grafana/grafana public/app/plugins/datasource/loki/
    # plugin.json); its queries go through Grafana's backend (access proxy).
    loki = [
        {
            "name": "Loki",
            "type": "loki",
            "uid": LOKI_UID,
            "access": "proxy",
            "url": settings.loki_url,
            "editable": False,
        }
    ]
    return _provisioning_yaml(
        {
            "datasources": [
                {
                    "name": "Prometheus",
                    "type": "prometheus",
                    "uid": PROMETHEUS_UID,
                    "access": "proxy",
                    "url": settings.prometheus_url,
                    "isDefault": True,
                    "editable": False,
                },
                {
                    "name": "Alertmanager",
                    "type": "alertmanager",
                    "uid": ALERTMANAGER_UID,
                    "access": "proxy",
                    "url": settings.alertmanager_url,
                    "editable": False,
                    "jsonData": {
                        "implementation": "prometheus",
                        "handleGrafanaManagedAlerts": False,
                    },
                },
                *(loki if settings.loki_url is not None else []),
            ],
        }
    )


def dashboards_yaml(settings: GrafanaSettings) -> str:
    return _provisioning_yaml(
        {
            "providers": [
                {
                    "name": "platform",
                    "orgId": 1,
                    "folder": DASHBOARD_FOLDER,
                    "type": "file",
                    "disableDeletion": True,
                    "allowUiUpdates": False,
                    "updateIntervalSeconds": 60,
                    "options": {
                        "path": settings.dashboards_dir,
                        "foldersFromFilesStructure": False,
                    },
                }
            ],
        }
    )


def dashboard_files() -> dict[str, str]:
    """``{file name: JSON text}`` of the dashboards shipped in components/apps/dashboards."""
    found = resources.files(DASHBOARDS_PACKAGE)
    return {
        entry.name: entry.read_text()
        for entry in sorted(found.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    }
