"""The sidecar hook: an app's container on every engine of the stack, and its checks.

No registered app declares sidecars yet (monitoring will: an exporter per engine), so the hook
is exercised by Egress's module with a ``sidecars`` function added for the test."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from components.apps import egress, kinds
from components.derive.plan import stack_plan
from components.plan import plan_stack
from components.values import Sidecar
from tests.spec.spec_helpers import error_text, put
from tests.spec.test_models import doc
from tests.stacks import ROOT, stack_spec

EXPORTER = Sidecar(
    name="node-exporter",
    image="prom/node-exporter:v1.8.2",
    host_network=True,
    binds=(("/proc", "/host/proc"),),
    healthcheck=("CMD", "wget", "-qO-", "http://127.0.0.1:9100/metrics"),
)


def _with_sidecar(monkeypatch: pytest.MonkeyPatch, sidecar: Sidecar) -> None:
    module = SimpleNamespace(**{k: getattr(egress, k) for k in ("KIND", "Spec", "problems")})
    module.contribute = egress.contribute
    module.sidecars = lambda name, service: (sidecar,)
    monkeypatch.setitem(kinds.APPS, egress.KIND, module)


def _busy_machines(stack: str) -> set[str]:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    busy = {s["machine"] for s in config["platform:services"].values()}
    # The monitoring set's machine runs services too (tests/monitoring_expected.py).
    monitoring = config.get("platform:monitoring")
    return busy | ({monitoring["machine"]} if monitoring else set())


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_a_sidecar_runs_once_on_every_engine(monkeypatch: pytest.MonkeyPatch, stack: str) -> None:
    _with_sidecar(monkeypatch, EXPORTER)
    plan = stack_plan(stack_spec(stack))
    machines = _busy_machines(stack)
    sidecars = {n: s for n, s in plan.services.items() if n.startswith("node-exporter-")}
    assert {s.machine: n for n, s in sidecars.items()} == {
        m: f"node-exporter-{m}" for m in machines
    }
    for name, sidecar in sidecars.items():
        assert (sidecar.image, sidecar.host_network) == (EXPORTER.image, True)
        assert [(b.hostPath, b.path, b.readOnly) for b in sidecar.binds] == [
            ("/proc", "/host/proc", True)
        ]
        assert plan.config_paths[f"{name}-container"] == "platform:services.egress.app"


def test_each_sidecar_is_a_container_on_its_machines_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _with_sidecar(monkeypatch, EXPORTER)
    resources = {r.name: r for r in plan_stack(ROOT, "prod").resources}
    for machine in _busy_machines("prod"):
        container = resources[f"node-exporter-{machine}-container"]
        engine = resources[f"ax102-{machine}-engine-provider"]
        assert container.provider_urn == engine.urn
        assert container.inputs["networkMode"] == "host"


def _errors(monkeypatch: pytest.MonkeyPatch, sidecar: Sidecar, *mutations: Any) -> list[str]:
    _with_sidecar(monkeypatch, sidecar)
    return error_text(doc(*mutations)).splitlines()


def test_a_bridged_sidecar_needs_its_network_on_every_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bridged = Sidecar(name="agent", image="grafana/alloy:v1.5.1", networks=("logs",))
    lines = _errors(monkeypatch, bridged)
    # The baseline document is prod without its monitoring block.
    machines = sorted(_busy_machines("prod") - {"monitoring"})
    assert lines == [
        f"platform:services.egress.app: its sidecar agent joins the networks logs, and no "
        f"service on {machine} joins logs; an engine has only the networks its services join"
        for machine in machines
    ]


def test_a_sidecar_never_takes_a_services_name(monkeypatch: pytest.MonkeyPatch) -> None:
    clash = Sidecar(name="node", image="prom/node-exporter:v1.8.2", host_network=True)
    lines = _errors(
        monkeypatch, clash, put("services", "node-backend", value=doc()["services"]["agents"])
    )
    assert lines == [
        "platform:services.egress.app: its sidecar node runs as node-backend on backend, which "
        "is already platform:services.node-backend; rename that service",
    ]
