"""Grafana's provisioning files against the keys Grafana reads (tests/provider_facts/grafana.py,
from its source; Grafana does not run here), the datasource uids the dashboards reference, and
the `$$` escape through Grafana's own expansion rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.apps import grafana
from components.render.grafana import escape
from tests.monitored_stacks import MONITORED, files_of, monitored_plan, stack_config
from tests.provider_facts import grafana as facts

DATASOURCES = f"{grafana.PROVISIONING_DIR}/datasources/datasources.yaml"
DASHBOARDS = f"{grafana.PROVISIONING_DIR}/dashboards/dashboards.yaml"


@pytest.fixture(scope="module", params=MONITORED)
def files(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    plan = monitored_plan(request.param)
    return files_of(plan.services["grafana"])


def _walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def test_datasources_use_only_keys_grafana_reads(files: dict[str, str]) -> None:
    document = yaml.safe_load(files[DATASOURCES])
    assert set(document) <= facts.DATASOURCE_FILE_KEYS
    assert document["apiVersion"] == 1
    for source in document["datasources"]:
        assert set(source) <= facts.DATASOURCE_KEYS
    uids = [s["uid"] for s in document["datasources"]]
    assert all(uids)
    assert len(uids) == len(set(uids))
    assert [s.get("isDefault", False) for s in document["datasources"]].count(True) == 1
    assert all(s["editable"] is False for s in document["datasources"])


def test_the_dashboard_provider_uses_only_keys_grafana_reads(files: dict[str, str]) -> None:
    document = yaml.safe_load(files[DASHBOARDS])
    assert set(document) <= facts.DASHBOARD_FILE_KEYS
    names = [p["name"] for p in document["providers"]]
    assert len(names) == len(set(names))
    for provider in document["providers"]:
        assert set(provider) <= facts.DASHBOARD_PROVIDER_KEYS
        assert provider["type"] == "file"
        assert set(provider["options"]) <= facts.FILE_PROVIDER_OPTIONS
        # Every dashboard file the container gets is in the provider's path.
        path = provider["options"]["path"]
        shipped = [p for p in files if p.endswith(".json")]
        assert shipped
        assert all(p.startswith(f"{path}/") for p in shipped)


def test_every_dashboard_queries_a_provisioned_datasource(files: dict[str, str]) -> None:
    uids = {s["uid"] for s in yaml.safe_load(files[DATASOURCES])["datasources"]}
    shipped = {p: json.loads(t) for p, t in files.items() if p.endswith(".json")}
    dashboard_uids = [d["uid"] for d in shipped.values()]
    assert len(dashboard_uids) == len(set(dashboard_uids))
    for path, dashboard in shipped.items():
        assert dashboard["title"], path
        referenced = {
            node["uid"]
            for node in _walk(dashboard)
            if isinstance(node, dict) and "uid" in node and "type" in node
        }
        assert referenced, path
        assert referenced <= uids, path
        panels_with_queries = [p for p in dashboard["panels"] if p.get("targets")]
        assert panels_with_queries, path


def test_the_provisioning_text_survives_grafanas_expansion(files: dict[str, str]) -> None:
    # What Grafana reads back after its expansion is what the renderer meant.
    for path in (DATASOURCES, DASHBOARDS):
        for node in _walk(yaml.safe_load(files[path])):
            if isinstance(node, str):
                assert facts.interpolate(node, {"HOME": "/root"}) == node.replace("$$", "$")


def test_a_literal_dollar_is_escaped_and_reads_back_literally() -> None:
    raw = {"jsonData": {"query": "sum(rate(x[$__rate_interval]))", "cost": "$5"}}
    escaped = escape(raw)
    assert escaped == {"jsonData": {"query": "sum(rate(x[$$__rate_interval]))", "cost": "$$5"}}
    for original, written in (("sum(rate(x[$__rate_interval]))", escaped["jsonData"]["query"]),):
        assert facts.interpolate(written, {"__rate_interval": "BROKEN"}) == original
        # Unescaped, Grafana would have expanded it.
        assert facts.interpolate(original, {"__rate_interval": "BROKEN"}) != original


def test_dashboards_in_the_repo_are_the_ones_shipped(files: dict[str, str]) -> None:
    repo = Path(grafana.__file__).parent / "dashboards"
    shipped = {Path(p).name: t for p, t in files.items() if p.endswith(".json")}
    assert shipped == {p.name: p.read_text() for p in sorted(repo.glob("*.json"))}


@pytest.mark.parametrize("stack", MONITORED)
def test_the_stacks_loki_is_a_datasource_grafana_reaches(stack: str) -> None:
    """A stack with a Loki service (an app of kind loki on the monitoring machine) gives
    Grafana a Loki datasource with a fixed uid at Loki's alias and port, and Grafana joins the
    network Loki serves on; a stack without one gets no such datasource."""
    config = stack_config(stack)
    plan = monitored_plan(stack)
    sources = yaml.safe_load(files_of(plan.services["grafana"])[DATASOURCES])["datasources"]
    lokis = {
        name: service
        for name, service in config["services"].items()
        if service.get("app", {}).get("kind") == "loki"
        and service["machine"] == config["monitoring"]["machine"]
    }
    found = [s for s in sources if s["type"] == facts.LOKI_PLUGIN_ID]
    if not lokis:
        assert found == []
        return
    ((name, loki),) = lokis.items()
    port = loki["app"].get("httpPort", 3100)  # the app's documented default
    assert found == [
        {
            "name": "Loki",
            "type": "loki",
            "uid": "loki",
            "access": "proxy",
            "url": f"http://{name}:{port}",
            "editable": False,
        }
    ]
    network = loki["app"]["agents"]["network"]
    assert network in loki["networks"]
    assert network in plan.services["grafana"].networks


def test_gaslyt_has_the_loki_datasource() -> None:
    # Seed 003 asks for Loki next to Prometheus and Grafana: the case above is not vacuous.
    assert "gaslyt" in MONITORED
    sources = yaml.safe_load(files_of(monitored_plan("gaslyt").services["grafana"])[DATASOURCES])
    assert {s["uid"] for s in sources["datasources"]} == {"prometheus", "alertmanager", "loki"}
