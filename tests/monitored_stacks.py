"""The stacks with platform:monitoring, as the tests render them: every stack file of the repo
that has the block (read from the files, so a new monitored stack is covered as it lands).

Between them they hold every shape the set supports: the set on a guest scraping the other
guests of its Proxmox host (prod), on the one machine of a cloud server (staging, hub,
skycloud) or an existing server (gaslyt); webhook, Slack (hub) and email (gaslyt) receivers;
the database exporters (PostgreSQL, MariaDB, MySQL, Redis, MongoDB) and RabbitMQ's own port;
the stack's Loki as a Grafana datasource (gaslyt).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml

from components.derive.plan import ServicePlan, StackPlan, stack_plan
from components.plan.stack_file import discover_stacks
from components.values import PUBLIC_ADDRESS, Rendered
from tests.stacks import ROOT, stack_spec


def _document(stack: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return document


MONITORED = tuple(
    stack
    for stack in discover_stacks(ROOT)
    if "platform:monitoring" in (_document(stack).get("config") or {})
)


def stack_config(stack: str) -> dict[str, Any]:
    """The stack file's ``platform:`` config, keys without the prefix."""
    return {k.removeprefix("platform:"): v for k, v in _document(stack)["config"].items()}


@cache
def monitored_plan(stack: str) -> StackPlan:
    return stack_plan(stack_spec(stack))


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
