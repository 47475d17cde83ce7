"""The stacks with platform:monitoring, as the tests render them.

Every stack file with a platform:monitoring block is found (``MONITORED``), never listed.
staging and hub do not run the set (their stack files say why: their machines' memory is
already given to their services), so the tests give each a block of their own, written here,
to cover the one-machine shape and the database exporters (hub: PostgreSQL, MariaDB, Redis):
the stack file is read, the block and a `monitoring` network added, and its secrets point at
leaves the stack file already has.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.derive.plan import ServicePlan, StackPlan, stack_plan
from components.plan.stack_file import discover_stacks
from components.plan.stack_spec import read_stack_spec
from components.spec import PlatformSpec
from components.values import PUBLIC_ADDRESS, Rendered
from tests.stacks import ROOT


def _block(machine: str, host: str, secret: str) -> dict[str, Any]:
    return {
        "machine": machine,
        "network": "monitoring",
        "retention": {"time": "15d"},
        "receivers": {
            "ops": {"webhook": {"url": {"secret": secret}}},
            "team": {
                "email": {
                    "to": "team@example.com",
                    "sender": "alerts@example.com",
                    "smarthost": "smtp.example.com:587",
                    "username": "alerts",
                    "password": {"secret": secret},
                }
            },
            "chat": {"slack": {"apiUrl": {"secret": secret}, "channel": "#alerts"}},
            "heartbeat": {"webhook": {"url": {"secret": secret}}},
        },
        "defaultReceiver": "ops",
        "heartbeatReceiver": "heartbeat",
        "routes": [
            {"receiver": "team", "match": {"severity": "critical"}},
            {"receiver": "chat", "match": {"severity": "warning", "job": "blackbox"}},
        ],
        "grafana": {
            "host": host,
            "adminPassword": {"secret": secret},
            "allowFrom": ["198.51.100.0/24"],
        },
    }


ADDED: dict[str, dict[str, Any]] = {
    "staging": _block("staging", "grafana.staging.example.com", "redis.password"),
    "hub": _block("hub", "grafana.versatilehub.app", "chat.secretKeyBase"),
}


def _has_monitoring(stack: str) -> bool:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return "platform:monitoring" in (document.get("config") or {})


# The stack files with their own block, and the shapes above.
MONITORED = tuple(s for s in discover_stacks(ROOT) if s in ADDED or _has_monitoring(s))


def stack_config(stack: str) -> dict[str, Any]:
    """The stack file's ``platform:`` config (keys without the prefix), with the test's block."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    config = {k.removeprefix("platform:"): v for k, v in document["config"].items()}
    if stack in ADDED:
        config["monitoring"] = ADDED[stack]
        config["networks"] = {**config["networks"], "monitoring": {"dockerName": "monitoring"}}
    return config


def monitored_spec(stack: str, directory: Path) -> PlatformSpec:
    if stack not in ADDED:
        return read_stack_spec(ROOT / f"Pulumi.{stack}.yaml")
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    config = document["config"]
    config["platform:monitoring"] = ADDED[stack]
    config["platform:networks"]["monitoring"] = {"dockerName": "monitoring"}
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return read_stack_spec(path)


def monitored_plan(stack: str, directory: Path) -> StackPlan:
    return stack_plan(monitored_spec(stack, directory))


def resolve(content: str | Rendered, values: Mapping[str, str]) -> str:
    """A file's text; a rendered one gets ``values`` for each of its secrets (by argument)."""
    if isinstance(content, str):
        return content
    arguments = {
        argument: values.get(argument, f"value-of-{argument}") for argument in content.secrets
    }
    if content.public_address:
        arguments[PUBLIC_ADDRESS] = "203.0.113.10"
    return content.render(arguments)


def files_of(service: ServicePlan, values: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{path in the container: text}`` of a planned service's files."""
    return {f.path: resolve(f.content, values or {}) for f in service.files}
