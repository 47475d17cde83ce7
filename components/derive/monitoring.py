"""The monitoring set and what it watches, derived from the topology, never listed by hand.

From ``platform:monitoring`` and the rest of the stack:

- the set on the monitoring machine: Prometheus, Alertmanager, Grafana (routed through the
  stack's proxy), the blackbox exporter, all on the monitoring network;
- on every engine: a node exporter and a cAdvisor;
- next to every database or broker whose image has an exporter (apps/exporters.py): that
  exporter, on the database's networks, with the database's own password;
- LiveKit's prometheus port; a blackbox probe (HTTPS, certificate expiry) of every route.

An exporter on the monitoring machine joins the monitoring network and Prometheus reaches it by
its alias; on another guest of the same Proxmox host it publishes its port on that guest's
address only (a ``private`` exposure), which Prometheus scrapes across the NAT bridge. The added
services are ordinary services of the stack from here on: the topology, the matrix, published
ports and the policy pack see them like any other (``expanded``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components import names
from components.apps import alertmanager, blackbox, exporters, grafana, pgbouncer, prometheus
from components.apps.livekit import Spec as LiveKitSpec
from components.apps.loki import Spec as LokiSpec
from components.apps.pgbouncer import Spec as PgbouncerSpec
from components.render.prometheus import Probe, Target
from components.spec import PlatformSpec, ServiceSpec
from components.spec.common import SecretRef
from components.spec.monitoring import MonitoringSpec
from components.spec.services import RouteExpose
from components.values import AppContribution


@dataclass(frozen=True)
class MonitoringPlan:
    machine: str
    targets: tuple[Target, ...]
    probes: tuple[Probe, ...]
    services: Mapping[str, ServiceSpec]  # the added services, by name
    contributions: Mapping[str, AppContribution] = field(default_factory=dict)
    # Proxmox host -> the address its node exporter (Debian's package) listens on.
    host_exporters: Mapping[str, str] = field(default_factory=dict)
    # Each added service -> the config path the user edits for it (its messages name it), and
    # where an exposure of it comes from when that is not the block itself.
    origins: Mapping[str, tuple[str | int, ...]] = field(default_factory=dict)
    expose_origins: Mapping[str, tuple[str | int, ...]] = field(default_factory=dict)


def _scrape_address(
    spec: PlatformSpec, monitoring: MonitoringSpec, service: str, machine: str, port: int
) -> str:
    """How Prometheus reaches ``port`` of ``service``: its alias on the monitoring machine,
    else its guest's address (the rules refuse machines it cannot reach)."""
    if machine == monitoring.machine:
        return f"{service}:{port}"
    return f"{spec.machine_address(machine)}:{port}"


def _private(machine: str, monitoring: MonitoringSpec, port: int) -> list[dict[str, Any]]:
    if machine == monitoring.machine:
        return []
    return [{"kind": "private", "protocol": "tcp", "ports": port}]


def _on_monitoring(machine: str, monitoring: MonitoringSpec, networks: list[str]) -> list[str]:
    if machine == monitoring.machine and monitoring.network not in networks:
        return [*networks, monitoring.network]
    return networks


def _engine_exporters(
    spec: PlatformSpec, monitoring: MonitoringSpec, machine: str
) -> tuple[dict[str, dict[str, Any]], list[Target]]:
    networks = _on_monitoring(machine, monitoring, [])
    node, cadvisor = names.node_exporter(machine), names.cadvisor(machine)
    docs: dict[str, dict[str, Any]] = {
        node: {
            "machine": machine,
            "image": exporters.NODE_EXPORTER_IMAGE,
            "command": exporters.node_exporter_command(),
            "networks": networks,
            "binds": [{"hostPath": "/", "path": exporters.HOST_ROOT, "readOnly": True}],
            "expose": _private(machine, monitoring, exporters.NODE_EXPORTER_PORT),
            "resources": monitoring.resources.of("nodeExporter").model_dump(),
            "healthcheck": {
                "test": ["CMD", "wget", "-qO-", f"http://127.0.0.1:{exporters.NODE_EXPORTER_PORT}/"]
            },
            "policyExceptions": exporters.NODE_EXPORTER_EXCEPTIONS,
        },
        cadvisor: {
            "machine": machine,
            "image": exporters.CADVISOR_IMAGE,
            "command": exporters.cadvisor_command(),
            "networks": networks,
            "binds": [
                {"hostPath": host, "path": path, "readOnly": True}
                for host, path in exporters.CADVISOR_BINDS
            ],
            "expose": _private(machine, monitoring, exporters.CADVISOR_PORT),
            "resources": monitoring.resources.of("cadvisor").model_dump(),
            "healthcheck": {
                "test": [
                    "CMD",
                    "wget",
                    "-qO-",
                    f"http://127.0.0.1:{exporters.CADVISOR_PORT}/healthz",
                ]
            },
            "policyExceptions": exporters.CADVISOR_EXCEPTIONS,
        },
    }
    labels = {"machine": machine}
    targets = [
        Target(
            "node",
            _scrape_address(spec, monitoring, node, machine, exporters.NODE_EXPORTER_PORT),
            labels,
        ),
        Target(
            "cadvisor",
            _scrape_address(spec, monitoring, cadvisor, machine, exporters.CADVISOR_PORT),
            labels,
        ),
    ]
    return docs, targets


def _database_exporter(
    spec: PlatformSpec, monitoring: MonitoringSpec, name: str, service: ServiceSpec
) -> tuple[dict[str, dict[str, Any]], list[Target], list[str]]:
    """The exporter of database ``name``, its target, and the networks Prometheus must join
    (a broker that serves its own metrics on the monitoring machine)."""
    kind = exporters.database_exporter_of(service)
    if kind is None:
        return {}, [], []
    labels = {"machine": service.machine, "service": name}
    if kind.image is None:
        address = _scrape_address(spec, monitoring, name, service.machine, kind.port)
        joins = service.networks[:1] if service.machine == monitoring.machine else []
        return {}, [Target(kind.job, address, labels)], joins
    exporter = names.database_exporter(name)
    user, password, port = _login(kind, service)
    address = f"{name}:{port}"
    env: dict[str, Any] = {key: value.format(address=address) for key, value in kind.env.items()}
    for key, value in ((kind.user_env, user), (kind.password_env, password)):
        if key is not None and value is not None:
            env[key] = value if isinstance(value, str) else value.model_dump()
    doc: dict[str, Any] = {
        "machine": service.machine,
        "image": kind.image,
        "networks": _on_monitoring(
            service.machine, monitoring, _exporter_networks(spec, name, service)
        ),
        "env": env,
        "expose": _private(service.machine, monitoring, kind.port),
        "resources": monitoring.resources.of("databaseExporters").model_dump(),
    }
    if kind.command:
        doc["command"] = [part.format(address=address) for part in kind.command]
    if kind.healthcheck is not None:
        doc["healthcheck"] = {"test": list(kind.healthcheck)}
    target = Target(
        kind.job, _scrape_address(spec, monitoring, exporter, service.machine, kind.port), labels
    )
    return {exporter: doc}, [target], []


def _exporter_networks(spec: PlatformSpec, name: str, service: ServiceSpec) -> list[str]:
    """The database's networks; a pgBouncer's exporter only those pgBouncer shares with its
    clients (it needs pgBouncer, never the servers it pools nor its way out to a managed
    cluster); the spec's rules refuse a pgBouncer that shares none."""
    if isinstance(service.app, PgbouncerSpec):
        return pgbouncer.client_networks(name, spec.services)
    return list(service.networks)


def _login(
    kind: exporters.DatabaseExporter, service: ServiceSpec
) -> tuple[str | SecretRef | None, str | SecretRef | None, int]:
    """The user, password and port the exporter logs in with: a pgBouncer app's first stats
    user (the spec's rules require one), else what the database's env names."""
    app = service.app
    if isinstance(app, PgbouncerSpec):
        stats = app.statsUsers[0] if app.statsUsers else None
        return stats, app.users.get(stats) if stats else None, app.listenPort
    env = service.env
    user: str | SecretRef = next((env[k] for k in kind.user_from if k in env), kind.default_user)
    password = next((env[k] for k in kind.password_from if k in env), None)
    return user or None, password, kind.database_port


def _livekit_targets(
    spec: PlatformSpec, monitoring: MonitoringSpec
) -> tuple[list[Target], list[str]]:
    targets, joins = [], []
    for name, service in spec.services.items():
        if not isinstance(service.app, LiveKitSpec) or service.app.prometheusPort is None:
            continue
        port = service.app.prometheusPort
        labels = {"machine": service.machine, "service": name}
        if service.machine == monitoring.machine and service.networkMode != "host":
            targets.append(Target("livekit", f"{name}:{port}", labels))
            joins += service.networks[:1]
        else:
            targets.append(
                Target("livekit", f"{spec.machine_address(service.machine)}:{port}", labels)
            )
    return targets, joins


def monitoring_plan(spec: PlatformSpec) -> MonitoringPlan | None:
    """The added services and the targets; None for a stack without platform:monitoring."""
    monitoring = spec.monitoring
    if monitoring is None:
        return None
    docs: dict[str, dict[str, Any]] = {}
    targets: list[Target] = []
    joins: list[str] = []
    machines = sorted({s.machine for s in spec.services.values()} | {monitoring.machine})
    for machine in machines:
        added, found = _engine_exporters(spec, monitoring, machine)
        docs.update(added)
        targets += found
    for name, service in spec.services.items():
        added, found, networks = _database_exporter(spec, monitoring, name, service)
        docs.update(added)
        targets += found
        joins += networks
    found, networks = _livekit_targets(spec, monitoring)
    targets += found
    joins += networks
    host_exporters = _host_exporters(spec, monitoring)
    targets += [
        Target("node", address, {"machine": host}) for host, address in host_exporters.items()
    ]

    machine, network = monitoring.machine, monitoring.network
    labels = {"machine": machine}
    targets += [
        Target("prometheus", f"localhost:{prometheus.PORT}", labels),
        Target("alertmanager", f"{names.ALERTMANAGER}:{alertmanager.PORT}", labels),
    ]
    loki = _loki(spec, machine)
    grafana_networks = [network, *_proxy_networks(spec, machine)]
    if loki is not None:
        grafana_networks.append(loki[1])
    docs[names.GRAFANA] = grafana.service_doc(monitoring, _unique(grafana_networks))
    docs[names.PROMETHEUS] = prometheus.service_doc(monitoring, _unique([network, *joins]))
    docs[names.ALERTMANAGER] = alertmanager.service_doc(monitoring, [network])
    docs[names.BLACKBOX_EXPORTER] = blackbox.service_doc(monitoring, [network])
    services = {name: ServiceSpec.model_validate(doc) for name, doc in docs.items()}

    routes = [
        e
        for s in (*spec.services.values(), services[names.GRAFANA])
        for e in s.expose
        if isinstance(e, RouteExpose)
    ]
    probes = tuple(sorted({Probe(f"https://{e.host}{e.path}", guarded=e.guarded) for e in routes}))
    local = {
        "blackbox": f"{names.BLACKBOX_EXPORTER}:{blackbox.PORT}",
        "alertmanager": f"{names.ALERTMANAGER}:{alertmanager.PORT}",
        "prometheus": f"{names.PROMETHEUS}:{prometheus.PORT}",
    }
    contributions = {
        names.PROMETHEUS: prometheus.contribute(
            targets, probes, local["blackbox"], local["alertmanager"]
        ),
        names.ALERTMANAGER: alertmanager.contribute(monitoring),
        names.GRAFANA: grafana.contribute(
            f"http://{local['prometheus']}",
            f"http://{local['alertmanager']}",
            loki[0] if loki is not None else None,
        ),
        names.BLACKBOX_EXPORTER: blackbox.contribute(),
    }
    return MonitoringPlan(
        machine=machine,
        targets=tuple(targets),
        probes=probes,
        services=services,
        contributions=contributions,
        host_exporters=host_exporters,
        origins=dict.fromkeys(services, ("monitoring",)),
        expose_origins={names.GRAFANA: ("monitoring", "grafana", "host")},
    )


def _host_exporters(spec: PlatformSpec, monitoring: MonitoringSpec) -> dict[str, str]:
    """The Proxmox host of the monitoring guest runs no engine: Debian's node exporter on its
    NAT bridge address, which its guests reach (components/render/host_exporter.py)."""
    found = {}
    for name, host in spec.proxmox_hosts().items():
        if monitoring.machine in spec.guests_of(name):
            found[name] = f"{host.natBridge.gateway}:{exporters.NODE_EXPORTER_PORT}"
    return found


def _loki(spec: PlatformSpec, machine: str) -> tuple[str, str] | None:
    """``(url, network)`` of the stack's Loki on ``machine``, which Grafana reads over the
    agents' network; None without one (Grafana then has no Loki datasource)."""
    for name, service in spec.services.items():
        if isinstance(service.app, LokiSpec) and service.machine == machine:
            return f"http://{name}:{service.app.httpPort}", service.app.agents.network
    return None


def _proxy_networks(spec: PlatformSpec, machine: str) -> list[str]:
    """The network Grafana shares with the proxy when both run on ``machine``."""
    proxy = spec.proxy
    if proxy is None or spec.services[proxy.service].machine != machine:
        return []
    if proxy.network is not None:
        return [proxy.network]
    return spec.services[proxy.service].networks[:1]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def expanded(spec: PlatformSpec, plan: MonitoringPlan | None) -> PlatformSpec:
    """``spec`` with the monitoring services added to platform:services."""
    if plan is None:
        return spec
    return spec.with_derived(dict(plan.services), dict(plan.origins), dict(plan.expose_origins))
