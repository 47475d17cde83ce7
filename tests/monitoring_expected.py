"""What platform:monitoring adds to a stack, read from the stack file by these tests' own rules
(docs/monitoring.md), not from components/derive/monitoring.py: the set on the monitoring
machine, a node exporter and a cAdvisor on every machine that runs a service (and the monitoring
machine), an exporter next to each database whose image has one."""

from __future__ import annotations

from typing import Any

# Image repositories with an exporter container (RabbitMQ serves its own metrics).
EXPORTED_DATABASES = (
    "postgres",
    "postgis",
    "mariadb",
    "mysql",
    "redis",
    "valkey",
    "mongo",
    "pgbouncer",
)
SET = ("prometheus", "alertmanager", "grafana", "blackbox-exporter")
# The stateful members of the set and their volumes.
SET_VOLUMES = {
    "prometheus": "prometheus-data",
    "alertmanager": "alertmanager-data",
    "grafana": "grafana-data",
}


def repository(image: str) -> str:
    return image.split("@", maxsplit=1)[0].rsplit(":", 1)[0].rsplit("/", 1)[-1]


def added_services(config: dict[str, Any]) -> dict[str, str]:
    """``{added service: machine}`` for a stack file's ``platform:`` config (keys unprefixed)."""
    monitoring = config.get("monitoring")
    if monitoring is None:
        return {}
    machine = monitoring["machine"]
    services = config["services"]
    added = dict.fromkeys(SET, machine)
    for busy in {s["machine"] for s in services.values()} | {machine}:
        added[f"node-exporter-{busy}"] = busy
        added[f"cadvisor-{busy}"] = busy
    for name, service in services.items():
        if repository(service["image"]) in EXPORTED_DATABASES:
            added[f"{name}-exporter"] = service["machine"]
    return added
