"""platform:monitoring's checks, each with its exact message, on prod's document with prod's
monitoring block (tests/spec/test_models.PROD_MONITORING)."""

from __future__ import annotations

import copy
from typing import Any

from tests.spec.spec_helpers import add_droplet, add_service, error_text, parse, put
from tests.spec.test_models import PROD_MONITORING, doc


def _with(**changes: Any) -> dict[str, Any]:
    block = copy.deepcopy(PROD_MONITORING)
    block.update(changes)
    return block


def _lines(*mutations: Any, block: dict[str, Any] | None = None) -> list[str]:
    document = doc(put("monitoring", value=block or _with()), *mutations)
    return error_text(document).splitlines()


def test_prods_block_parses() -> None:
    spec = parse(doc(put("monitoring", value=_with())))
    assert spec.monitoring is not None
    assert spec.monitoring.machine == "monitoring"
    assert spec.monitoring.retention.sizeGb == 60


def test_machine_and_network_must_exist() -> None:
    assert _lines(block=_with(machine="observer", network="metrics")) == [
        "platform:monitoring.network: metrics is not a network; known networks: app, monitoring",
        "platform:monitoring.machine: observer is not a guest or a Docker host; known: agents, "
        "backend, egress, frontend, livekit, monitoring, proxy",
    ]


def test_the_network_is_not_internal() -> None:
    assert _lines(put("networks", "monitoring", "internal", value=True)) == [
        "platform:monitoring.network: monitoring is internal; the monitoring set probes the "
        "public routes and notifies receivers on the internet: use a network that is not "
        "internal",
    ]


def test_receivers_are_declared_and_each_of_one_kind() -> None:
    receivers = {
        "ops": {"webhook": {"url": {"secret": "monitoring.opsWebhookUrl"}}},
        "both": {
            "webhook": {"url": {"secret": "monitoring.opsWebhookUrl"}},
            "slack": {"apiUrl": {"secret": "monitoring.opsWebhookUrl"}, "channel": "#ops"},
        },
        "none": {},
    }
    block = _with(
        receivers=receivers,
        heartbeatReceiver="ops",
        routes=[{"receiver": "pager", "match": {"severity": "critical"}}],
    )
    assert _lines(block=block) == [
        "platform:monitoring.receivers.both: has webhook, slack; a receiver is exactly one of "
        "webhook, slack, email",
        "platform:monitoring.receivers.none: has no kind; a receiver is exactly one of webhook, "
        "slack, email",
        "platform:monitoring.routes[0].receiver: pager is not a receiver; known receivers: both, "
        "none, ops",
        "platform:monitoring.heartbeatReceiver: ops is also the default receiver; the dead-man's "
        "switch fires all the time, so it needs a receiver of its own",
    ]


def test_secrets_must_be_set() -> None:
    block = _with(
        grafana={
            "host": "grafana.example.com",
            "adminPassword": {"secret": "gf.pw"},
            "allowFrom": ["198.51.100.0/24"],
        }
    )
    assert _lines(block=block) == [
        "platform:monitoring.grafana.adminPassword.secret: gf.pw is not under platform:secrets; "
        "set it with `pulumi config set --secret --path 'platform:secrets.gf.pw' <value>`",
    ]


def test_a_service_never_takes_a_name_the_set_adds() -> None:
    lines = _lines(
        add_service("grafana", machine="backend", image="grafana/grafana:11.3.1"),
        add_service("redis-exporter", machine="backend", image="oliver006/redis_exporter:v1.66.0"),
        add_service("node-exporter-backend", machine="backend", image="prom/node-exporter:v1.8.2"),
    )
    assert lines == [
        f"platform:services.{name}: {name} is a name platform:monitoring gives one of the "
        "services it adds; rename this service"
        for name in ("grafana", "node-exporter-backend", "redis-exporter")
    ]


def test_machines_out_of_prometheus_reach_are_refused() -> None:
    lines = _lines(add_droplet("edge"), add_service("edge-web", machine="edge"))
    assert lines == [
        "platform:monitoring.machine: the monitoring set on monitoring cannot scrape edge: "
        "Prometheus reaches its own machine and the other guests of its Proxmox host only",
    ]


def test_bad_values_name_what_is_allowed() -> None:
    block = _with(
        retention={"time": "forever"},
        routes=[{"receiver": "ops", "match": {"sev-erity": 'a"b'}}],
    )
    lines = _lines(block=block)
    assert lines[0].startswith("platform:monitoring.retention.time: ")
    assert "^[1-9][0-9]*(h|d|w|y)$" in lines[0]
    assert any(line.startswith("platform:monitoring.routes[0].match") for line in lines[1:])


def test_an_exporters_port_stays_free_on_its_guest() -> None:
    lines = _lines(
        put("services", "backend", "expose", 0, value={"kind": "private", "ports": 9100})
    )
    assert lines == [
        "platform:services.backend.expose[0]: tcp 9100 on backend is where "
        "platform:monitoring's node exporter publishes its metrics for the monitoring machine; "
        "use another port",
    ]


def test_the_sets_resources_name_their_member() -> None:
    resources = {
        "prometheus": {"cpus": 0.3333333333, "memoryMb": 2},
        "cadvisor": {"pids": 4},
        "loki": {},
    }
    assert _lines(block=_with(resources=resources)) == [
        "platform:monitoring.resources.prometheus.memoryMb: 2 is invalid: Input should be "
        "greater than or equal to 6 (Memory limit in MiB.)",
        "platform:monitoring.resources.prometheus.cpus: 0.3333333333 has more than 9 decimal "
        "places: Docker counts CPUs in billionths",
        "platform:monitoring.resources.cadvisor.pids: 4 is invalid: Input should be greater "
        "than or equal to 16 (Process limit (nproc).)",
        "platform:monitoring.resources.loki: is not a known key; allowed keys: alertmanager, "
        "blackbox, cadvisor, databaseExporters, grafana, nodeExporter, prometheus",
    ]


def test_a_member_given_some_keys_keeps_the_others() -> None:
    spec = parse(doc(put("monitoring", value=_with(resources={"prometheus": {"memoryMb": 384}}))))
    assert spec.monitoring is not None
    given = spec.monitoring.resources
    # The defaults documented in docs/config-reference.md: 1024 MiB, 1 CPU, 256 processes.
    assert given.of("prometheus").model_dump() == {"memoryMb": 384, "cpus": 1.0, "pids": 256}
    assert given.of("grafana").model_dump() == {"memoryMb": 512, "cpus": 0.5, "pids": 256}


def test_the_size_limit_leaves_room_on_the_disk() -> None:
    # prod's monitoring guest has a 100 GB root disk (tests/spec/test_models.py's baseline).
    assert _lines(block=_with(retention={"time": "30d", "sizeGb": 100})) == [
        "platform:monitoring.retention.sizeGb: 100 GB is not less than the 100 GB disk "
        "Prometheus's volume is on (platform:guests.monitoring.diskGb), which holds every "
        "other container's data too; give a smaller size or a larger disk",
    ]
    spec = parse(doc(put("monitoring", value=_with(retention={"time": "30d", "sizeGb": 99}))))
    assert spec.monitoring is not None
    assert spec.monitoring.retention.sizeGb == 99
