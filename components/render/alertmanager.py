"""alertmanager.yml from platform:monitoring: routes, receivers and the heartbeat route.

The receivers' URLs and passwords are secrets, so the text is rendered at apply time from them
and the file is a secret (components/apps/alertmanager.py). The dead-man's switch (the
``Watchdog`` alert of components/render/alert_rules.py) has its own first route, repeated every
few minutes, and never reaches the other receivers. Checked by `amtool check-config` and
`amtool config routes test` (tests/render/test_alertmanager.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .yaml_text import dump_yaml

HEARTBEAT_ALERT = "Watchdog"
GROUP_BY = ("alertname", "machine", "service")


@dataclass(frozen=True)
class Receiver:
    name: str
    kind: str  # webhook, slack, email
    # webhook: url; slack: api_url, channel; email: to, from, smarthost, auth_username,
    # auth_password
    settings: Mapping[str, str]


@dataclass(frozen=True)
class Route:
    receiver: str
    match: Mapping[str, str]


def _matchers(match: Mapping[str, str]) -> list[str]:
    # Alertmanager's matcher syntax: label="value", the value a double-quoted string.
    return [f'{label}="{value}"' for label, value in match.items()]


def _receiver(receiver: Receiver) -> dict[str, object]:
    settings = dict(receiver.settings)
    if receiver.kind == "webhook":
        body: dict[str, object] = {"webhook_configs": [{**settings, "send_resolved": True}]}
    elif receiver.kind == "slack":
        body = {"slack_configs": [{**settings, "send_resolved": True}]}
    else:
        body = {"email_configs": [{**settings, "require_tls": True, "send_resolved": True}]}
    return {"name": receiver.name, **body}


def alertmanager_yml(
    receivers: Sequence[Receiver], default: str, heartbeat: str, routes: Sequence[Route]
) -> str:
    heartbeat_route = {
        "receiver": heartbeat,
        "matchers": _matchers({"alertname": HEARTBEAT_ALERT}),
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": "1m",
        "repeat_interval": "5m",
    }
    document = {
        "route": {
            "receiver": default,
            "group_by": list(GROUP_BY),
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                heartbeat_route,
                *({"receiver": r.receiver, "matchers": _matchers(r.match)} for r in routes),
            ],
        },
        "receivers": [_receiver(r) for r in receivers],
    }
    return dump_yaml(document)
