"""Every config path the plan attaches to a resource, a route, a published port or an edge
opening names a key that exists in the stack file: what a policy report or an error names is
where the user can act. The services the stack derives (the monitoring set, its exporters) have
no platform:services entry; their paths name platform:monitoring.

The keys are looked up in the stack file's YAML itself, not through the spec models."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components.derive.plan import StackPlan, stack_plan
from tests.monitored_stacks import MONITORED
from tests.monitoring_expected import added_services
from tests.stacks import ROOT, stack_spec

STACKS = tuple(
    sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))
)
PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def _config(stack: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return config


def _exists(config: dict[str, Any], path: str) -> bool:
    """Whether ``platform:a.b[0].c`` is a key of the stack file's config."""
    namespace, _, rest = path.partition(":")
    parts = [m.group(1) or int(m.group(2)) for m in PART.finditer(rest)]
    node: Any = config.get(f"{namespace}:{parts[0]}")
    if node is None:
        return False
    for part in parts[1:]:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return False
        elif not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _paths(plan: StackPlan) -> dict[str, str]:
    """``{what: config path}`` of everything in the plan that carries one."""
    found = {f"resource {name}": path for name, path in plan.config_paths.items()}
    found |= {f"route {r.host}{r.path} -> {r.service}": r.config_path for r in plan.routes}
    found |= {f"opening {o.service} {o.ports}": o.config_path for o in plan.openings}
    for service in plan.services.values():
        found |= {f"port {p.service} {p.ports}": p.config_path for p in service.ports}
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_config_path_names_a_key_of_the_stack_file(stack: str) -> None:
    config = _config(stack)
    paths = _paths(stack_plan(stack_spec(stack)))
    assert paths
    assert {what: path for what, path in paths.items() if not _exists(config, path)} == {}


@pytest.mark.parametrize("stack", MONITORED)
def test_the_derived_services_name_the_monitoring_block(stack: str) -> None:
    config = {k.removeprefix("platform:"): v for k, v in _config(stack).items()}
    plan = stack_plan(stack_spec(stack))
    added = added_services(config)
    assert added
    for name in added:
        assert plan.config_paths[f"{name}-container"] == "platform:monitoring", name
        for port in plan.services[name].ports:
            assert port.config_path.startswith("platform:monitoring"), (name, port)
    (route,) = [r for r in plan.routes if r.service == "grafana"]
    assert route.config_path == "platform:monitoring.grafana.host"
    # Their backup jobs (the set's volumes) too.
    jobs = {n: p for n, p in plan.config_paths.items() if n.endswith("-backup")}
    assert {n: p for n, p in jobs.items() if n.removesuffix("-backup") in added} == {
        f"{name}-backup": "platform:monitoring"
        for name in ("prometheus", "alertmanager", "grafana")
    }
