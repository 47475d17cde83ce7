"""Grafana: provisioned as code (datasources with fixed uids, the repo's dashboards), reached
through the stack's proxy on its route; its admin password is a secret, sign-up and anonymous
access are off, so Grafana's own login guards it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components.values import AppContribution, FilePlan

if TYPE_CHECKING:
    from components.spec.monitoring import MonitoringSpec

IMAGE = "grafana/grafana:11.3.1"
PORT = 3000
PROVISIONING_DIR = "/etc/grafana/provisioning"
DASHBOARDS_DIR = "/etc/grafana/dashboards"
DATA_DIR = "/var/lib/grafana"


def service_doc(monitoring: MonitoringSpec, networks: Sequence[str]) -> dict[str, Any]:
    grafana = monitoring.grafana
    return {
        "machine": monitoring.machine,
        "image": IMAGE,
        "networks": list(networks),
        "env": {
            "GF_SERVER_ROOT_URL": f"https://{grafana.host}/",
            "GF_SECURITY_ADMIN_USER": "admin",
            "GF_SECURITY_ADMIN_PASSWORD": {"secret": grafana.adminPassword.secret},
            "GF_USERS_ALLOW_SIGN_UP": "false",
            "GF_AUTH_ANONYMOUS_ENABLED": "false",
            "GF_ANALYTICS_REPORTING_ENABLED": "false",
            "GF_PATHS_PROVISIONING": PROVISIONING_DIR,
        },
        # An admin panel: only the admins' networks reach it (the pack's admin-panel rule).
        "expose": [
            {
                "kind": "route",
                "host": grafana.host,
                "port": PORT,
                "auth": {"allowFrom": [str(network) for network in grafana.allowFrom]},
            }
        ],
        "stateful": True,
        "volumes": [{"name": "grafana-data", "path": DATA_DIR}],
        "resources": monitoring.resources.of("grafana").model_dump(),
        "healthcheck": {"test": ["CMD", "wget", "-qO-", f"http://127.0.0.1:{PORT}/api/health"]},
    }


def contribute(
    prometheus_url: str, alertmanager_url: str, loki_url: str | None = None
) -> AppContribution:
    from components.render.grafana import (  # noqa: PLC0415 -- see components/apps
        GrafanaSettings,
        dashboard_files,
        dashboards_yaml,
        datasources_yaml,
    )

    settings = GrafanaSettings(
        prometheus_url=prometheus_url,
        alertmanager_url=alertmanager_url,
        dashboards_dir=DASHBOARDS_DIR,
        loki_url=loki_url,
    )
    files = [
        FilePlan(f"{PROVISIONING_DIR}/datasources/datasources.yaml", datasources_yaml(settings)),
        FilePlan(f"{PROVISIONING_DIR}/dashboards/dashboards.yaml", dashboards_yaml(settings)),
    ]
    files += [FilePlan(f"{DASHBOARDS_DIR}/{n}", t) for n, t in dashboard_files().items()]
    return AppContribution(files=tuple(files))
