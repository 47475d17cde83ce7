"""Alertmanager: its container and its alertmanager.yml, a secret file (the receivers' URLs and
passwords are in it), readable by the image's user only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from components.values import AppContribution, FilePlan, Rendered

if TYPE_CHECKING:
    from components.spec.monitoring import MonitoringSpec, ReceiverSpec

IMAGE = "prom/alertmanager:v0.27.0"
PORT = 9093
CONFIG_PATH = "/etc/alertmanager/alertmanager.yml"
DATA_DIR = "/alertmanager"
# The image runs as nobody (prometheus/alertmanager Dockerfile `USER nobody`).
IMAGE_USER_ID = "65534"


def service_doc(monitoring: MonitoringSpec, networks: Sequence[str]) -> dict[str, Any]:
    return {
        "machine": monitoring.machine,
        "image": IMAGE,
        "command": [
            f"--config.file={CONFIG_PATH}",
            f"--storage.path={DATA_DIR}",
            f"--web.listen-address=:{PORT}",
            # One instance: no gossip port, no waiting for peers.
            "--cluster.listen-address=",
        ],
        "networks": list(networks),
        "stateful": True,
        "volumes": [{"name": "alertmanager-data", "path": DATA_DIR}],
        "resources": monitoring.resources.of("alertmanager").model_dump(),
        "healthcheck": {"test": ["CMD", "wget", "-qO-", f"http://127.0.0.1:{PORT}/-/ready"]},
    }


def _secrets(receivers: Mapping[str, ReceiverSpec]) -> dict[str, str]:
    """``{render argument: secret path}``: one argument per receiver's secret."""
    found = {}
    for name, receiver in receivers.items():
        if receiver.webhook is not None:
            found[f"{name}.url"] = receiver.webhook.url.secret
        if receiver.slack is not None:
            found[f"{name}.apiUrl"] = receiver.slack.apiUrl.secret
        if receiver.email is not None:
            found[f"{name}.password"] = receiver.email.password.secret
    return found


def receivers_of(monitoring: MonitoringSpec, values: Mapping[str, str]) -> list[Any]:
    from components.render.alertmanager import Receiver  # noqa: PLC0415 -- see components/apps

    found = []
    for name, receiver in monitoring.receivers.items():
        if receiver.webhook is not None:
            found.append(Receiver(name, "webhook", {"url": values[f"{name}.url"]}))
        elif receiver.slack is not None:
            settings = {"api_url": values[f"{name}.apiUrl"], "channel": receiver.slack.channel}
            found.append(Receiver(name, "slack", settings))
        elif receiver.email is not None:
            email = receiver.email
            settings = {
                "to": email.to,
                "from": email.sender,
                "smarthost": email.smarthost,
                "auth_username": email.username,
                "auth_password": values[f"{name}.password"],
            }
            found.append(Receiver(name, "email", settings))
    return found


def render(monitoring: MonitoringSpec, values: Mapping[str, str]) -> str:
    from components.render.alertmanager import Route, alertmanager_yml  # noqa: PLC0415

    return alertmanager_yml(
        receivers_of(monitoring, values),
        default=monitoring.defaultReceiver,
        heartbeat=monitoring.heartbeatReceiver,
        routes=[Route(r.receiver, dict(r.match)) for r in monitoring.routes],
    )


def contribute(monitoring: MonitoringSpec) -> AppContribution:
    config = Rendered(
        render=lambda values: render(monitoring, values), secrets=_secrets(monitoring.receivers)
    )
    file = FilePlan(
        path=CONFIG_PATH, content=config, mode="0440", owner=IMAGE_USER_ID, group=IMAGE_USER_ID
    )
    return AppContribution(files=(file,))
