"""Loki and its Alloy agents, as far as offline checks go: neither binary runs here.

Loki's config (from the gaslyt stack) is checked key by key against the struct tags of Loki
v3.7.6 (tests/render/loki_facts.py) and its values against what Loki's source requires; the
Alloy config's components, arguments, blocks and references against Alloy v1.18.1's
(tests/render/alloy_facts.py). The agent's health check command runs for real (bash) against
an HTTP server answering like Alloy's /-/ready. What stays unproven: README.md, "Logs".
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
import time
from typing import Any

import pytest
import yaml

from components.derive.plan import ServicePlan, stack_plan
from components.plan import plan_stack
from tests.apps.test_mosquitto import gaslyt
from tests.network.netns import Cleanup, new_netns, require_root_and_tools, session_suffix
from tests.render import alloy_facts, loki_facts
from tests.spec.spec_helpers import error_text, put
from tests.stacks import ROOT, stack_spec

STACK = yaml.safe_load((ROOT / "Pulumi.gaslyt.yaml").read_text())["config"]
LOKI = STACK["platform:services"]["loki"]


def _plan() -> dict[str, ServicePlan]:
    return dict(stack_plan(stack_spec("gaslyt")).services)


def _loki_config() -> dict[str, Any]:
    (file,) = _plan()["loki"].files
    assert isinstance(file.content, str)
    assert file.path == loki_facts.IMAGE_CONFIG_PATH[0]
    config: dict[str, Any] = yaml.safe_load(file.content)
    return config


def _key_paths(node: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            paths |= {path} | _key_paths(value, path)
    elif isinstance(node, list):
        for item in node:
            paths |= _key_paths(item, f"{prefix}[]")
    return paths


def test_every_loki_key_is_one_loki_3_decodes() -> None:
    assert _key_paths(_loki_config()) == set(loki_facts.KEYS)


def test_loki_retention_is_enabled_with_the_stacks_period() -> None:
    config = _loki_config()
    compactor = config["compactor"]
    assert compactor["retention_enabled"] is True
    assert compactor["delete_request_store"]  # loki_facts.RETENTION_NEEDS_DELETE_STORE
    days = LOKI["app"]["retentionDays"]
    period = config["limits_config"]["retention_period"]
    assert period == f"{days * 24}h"
    hours = int(period.removesuffix("h"))
    assert hours >= loki_facts.RETENTION_MINIMUM_HOURS[0]
    index = config["schema_config"]["configs"][0]["index"]
    assert index["period"] == f"{loki_facts.RETENTION_INDEX_PERIOD_HOURS[0]}h"
    assert hours % loki_facts.RETENTION_INDEX_PERIOD_HOURS[0] == 0


def test_loki_stores_tsdb_v13_on_its_volume() -> None:
    config = _loki_config()
    (period,) = config["schema_config"]["configs"]
    assert (period["store"], period["schema"]) == ("tsdb", loki_facts.SCHEMA_RECOMMENDED[0])
    assert period["object_store"] == "filesystem"
    day = datetime.datetime.strptime(period["from"], "%Y-%m-%d").date()  # 2006-01-02 layout
    assert day < datetime.date.today()
    volumes = {v["path"] for v in LOKI["volumes"]}
    prefix = config["common"]["path_prefix"]
    assert prefix in volumes
    directories = [
        config["common"]["storage"]["filesystem"]["chunks_directory"],
        config["common"]["storage"]["filesystem"]["rules_directory"],
        config["compactor"]["working_directory"],
    ]
    assert all(d.startswith(prefix + "/") for d in directories)


def _alloy_blocks(text: str) -> list[tuple[str, str | None, dict[str, str]]]:
    """(component, label, {argument: value}) of each top-level block, plus its nested blocks
    as (component.block, None, arguments), from the renderer's one-item-per-line layout."""
    found: list[tuple[str, str | None, dict[str, str]]] = []
    stack: list[tuple[str, str | None, dict[str, str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if line.endswith("{"):
            head = line[:-1].strip()
            match = re.fullmatch(r'([a-z_.]+)(?: "([a-z_]+)")?', head)
            assert match is not None, line
            name, label = match.groups()
            if stack:
                name = f"{stack[0][0]}.{name}"
            stack.append((name, label, {}))
        elif line == "}":
            found.append(stack.pop())
        else:
            key, _, value = line.partition("=")
            stack[-1][2][key.strip()] = value.strip()
    assert stack == []
    return found


def test_alloy_runs_once_per_engine_with_the_docker_socket_as_a_declared_exception() -> None:
    plan = _plan()
    agents = {name: p for name, p in plan.items() if p.image.startswith("grafana/alloy:")}
    machines = {p.machine for name, p in plan.items() if name not in agents}
    assert {p.machine: name for name, p in agents.items()} == {m: f"alloy-{m}" for m in machines}
    for agent in agents.values():
        assert agent.image == LOKI["app"]["agents"]["image"]
        assert list(agent.networks) == [LOKI["app"]["agents"]["network"]]
        assert [(b.hostPath, b.path, b.readOnly) for b in agent.binds] == [
            ("/var/run/docker.sock", "/var/run/docker.sock", True)
        ]
        assert "Docker API" in agent.policy_exceptions["docker-container-no-docker-socket"]
        assert agent.ports == ()
        flags = {arg.split("=")[0].removeprefix("--") for arg in agent.command or () if "=" in arg}
        assert flags == set(alloy_facts.FLAGS)


def test_alloy_config_uses_only_components_and_arguments_alloy_has() -> None:
    (agent,) = [p for p in _plan().values() if p.image.startswith("grafana/alloy:")]
    (file,) = agent.files
    assert isinstance(file.content, str)
    blocks = _alloy_blocks(file.content)
    declared = {(name, label) for name, label, _ in blocks if label is not None}
    for name, label, arguments in blocks:
        if label is not None:
            assert name in alloy_facts.COMPONENTS, name
            known = alloy_facts.COMPONENTS[name][1]
            attrs = {a for a, (kind, _) in known.items() if kind == "attr"}
            assert set(arguments) <= attrs, (name, set(arguments) - attrs)
        else:
            component, _, block = name.rpartition(".")
            assert set(arguments) <= set(alloy_facts.BLOCKS[(component, block)]), name
        # Every reference names a declared component and one of its exports.
        for value in arguments.values():
            for ref in re.findall(r"\b((?:discovery|loki)(?:\.[a-z_]+)+)\b", value):
                parts = ref.split(".")
                component, named, export = ".".join(parts[:-2]), parts[-2], parts[-1]
                assert (component, named) in declared, ref
                assert f"{component}.{export}" in alloy_facts.EXPORTS, ref
    nested = {name for name, label, _ in blocks if label is None}
    assert nested == {"discovery.relabel.rule", "loki.write.endpoint"}
    (write,) = [args for name, _, args in blocks if name == "loki.write.endpoint"]
    # Loki by its service name and port on the agents' network, at the push API.
    assert write["url"] == '"http://loki:3100/loki/api/v1/push"'
    assert {"protocol": "tcp", "ports": 3100} in LOKI["listen"]


def test_alloys_health_check_passes_on_ready_and_fails_without_it() -> None:
    require_root_and_tools()
    (agent,) = [p for p in _plan().values() if p.image.startswith("grafana/alloy:")]
    assert agent.healthcheck is not None
    kind, *command = agent.healthcheck.test
    assert kind == "CMD"
    host, port = alloy_facts.HTTP_DEFAULT[0].split(":")
    ready = alloy_facts.READY_PATH[0]
    server = (
        "import http.server as h\n"
        "class R(h.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        f"        self.send_response(200 if self.path == {ready!r} else 404)\n"
        "        self.end_headers(); self.wfile.write(b'Alloy is ready.')\n"
        f"h.HTTPServer(({host!r}, {port}), R).serve_forever()\n"
    )
    cleanup = Cleanup()
    try:
        ns = new_netns("alloy", session_suffix(), cleanup)
        assert subprocess.run(ns.argv(*command), timeout=10, check=False).returncode != 0
        proc = subprocess.Popen(ns.argv(sys.executable, "-c", server))
        cleanup.push(lambda: (proc.kill(), proc.wait(timeout=5)))
        deadline = time.monotonic() + 5
        while subprocess.run(ns.argv(*command), timeout=10, check=False).returncode != 0:
            assert time.monotonic() < deadline, "the health check never passed"
            time.sleep(0.1)
    finally:
        cleanup.run()


def test_loki_mistakes_are_named_at_once() -> None:
    text = error_text(
        gaslyt(
            put("services", "loki", "image", value="grafana/loki:2.9.10"),
            put("services", "loki", "volumes", value=[]),
            put("services", "loki", "networks", value=["backend"]),
            put(
                "services",
                "loki",
                "expose",
                value=[{"kind": "forward", "protocol": "tcp", "ports": 3100}],
            ),
            put("services", "loki", "app", "agents", "image", value="grafana/promtail:3.5.1"),
        )
    )
    lines = [line for line in text.splitlines() if line.startswith("platform:services.loki.")]
    assert lines == [
        "platform:services.loki.image: grafana/loki:2.9.10 is not grafana/loki:3.x; the config "
        "rendered is Loki 3's (TSDB schema v13, compactor retention), e.g. grafana/loki:3.7.6",
        "platform:services.loki.app.agents.image: grafana/promtail:3.5.1 is not grafana/alloy:"
        "<version>; the agents' config is Alloy's",
        "platform:services.loki.volumes: mount no writable volume at /loki; Loki keeps its "
        "chunks and index there, which a new container would otherwise lose",
        "platform:services.loki.expose: exposes Loki, which runs without authentication (one "
        "tenant); the agents and Grafana reach it over monitoring",
        "platform:services.loki.networks: do not hold monitoring, the network the agents push over",
        # ...and so the sidecar rule finds no engine with the agents' network.
        "platform:services.loki.app: its sidecar alloy joins the networks monitoring, and no "
        "service on gaslyt joins monitoring; an engine has only the networks its services join",
    ]


@pytest.mark.parametrize("port", [3100, 8883])
def test_only_the_edge_ports_are_public(port: int) -> None:
    """gaslyt opens 22 (SSH), 80/443 (the proxy) and 8883 (MQTT over TLS), nothing else; the
    policy pack accepts it."""
    result = plan_stack(ROOT, "gaslyt")
    assert not result.mandatory_violations
    openings = {(o.protocol, str(o.ports)) for o in stack_plan(stack_spec("gaslyt")).openings}
    assert openings == {("tcp", "80"), ("tcp", "443"), ("tcp", "8883")}
    assert (("tcp", str(port)) in openings) == (port == 8883)
