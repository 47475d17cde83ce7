"""The monitoring set's targets and added services, derived from the topology; expectations
come from the stack files (every one with a platform:monitoring block), never from
components/derive/monitoring.py."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import yaml

from components.apps import prometheus
from components.derive.monitoring import monitoring_plan
from components.derive.plan import StackPlan
from components.plan import plan_stack
from components.values import Rendered, SecretPath
from tests.monitored_stacks import MONITORED, files_of, monitored_plan, stack_config
from tests.monitoring_expected import EXPORTED_DATABASES, added_services, repository
from tests.stacks import ROOT, stack_spec

EXPORTER_PORTS = {"node": 9100, "cadvisor": 8080}
DATABASE_JOBS = {  # image repository -> (job, exporter port)
    "postgres": ("postgres", 9187),
    "mariadb": ("mysql", 9104),
    "mysql": ("mysql", 9104),
    "redis": ("redis", 9121),
    "pgbouncer": ("pgbouncer", 9127),
    "mongo": ("mongodb", 9216),
}
# The variable of each image that holds the password the exporter logs in with: the superuser's
# (the images' documented variables; redis: the stacks' own --requirepass variable).
PASSWORD_VARIABLES = {
    "postgres": "POSTGRES_PASSWORD",
    "mariadb": "MARIADB_ROOT_PASSWORD",
    "mysql": "MYSQL_ROOT_PASSWORD",
    "redis": "REDIS_PASSWORD",
    "mongo": "MONGO_INITDB_ROOT_PASSWORD",
}


@pytest.fixture(scope="module", params=MONITORED)
def monitored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], StackPlan]:
    stack = request.param
    return stack_config(stack), monitored_plan(stack)


def _scrape(plan: StackPlan) -> dict[str, Any]:
    text = files_of(plan.services["prometheus"])[prometheus.CONFIG_PATH]
    return {job["job_name"]: job for job in yaml.safe_load(text)["scrape_configs"]}


def _targets(job: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {t: c["labels"] for c in job["static_configs"] for t in c["targets"]}


def _reach(config: dict[str, Any], service: str, machine: str, port: int) -> str:
    """How the monitoring machine reaches ``service``: by alias at home, else the guest's
    address (from the stack file's guests)."""
    if machine == config["monitoring"]["machine"]:
        return f"{service}:{port}"
    return f"{config['guests'][machine]['address']}:{port}"


def test_a_node_exporter_and_a_cadvisor_per_machine(
    monitored: tuple[dict[str, Any], StackPlan],
) -> None:
    config, plan = monitored
    machines = {s["machine"] for s in config["services"].values()}
    machines.add(config["monitoring"]["machine"])
    jobs = _scrape(plan)
    # The Proxmox host of the monitoring guest: Debian's exporter on its bridge address.
    home = config["monitoring"]["machine"]
    hosts = {
        f"{host['natBridge']['address'].split('/')[0]}:9100": {"machine": name}
        for name, host in config["hosts"].items()
        if host["kind"] == "proxmox" and config["guests"].get(home, {}).get("host") == name
    }
    assert len(hosts) == (1 if home in config.get("guests", {}) else 0)
    for job, port in EXPORTER_PORTS.items():
        prefix = "node-exporter" if job == "node" else job
        assert _targets(jobs[job]) == {
            _reach(config, f"{prefix}-{m}", m, port): {"machine": m} for m in machines
        } | (hosts if job == "node" else {})


def test_an_exporter_per_database_with_its_own_password(
    monitored: tuple[dict[str, Any], StackPlan],
) -> None:
    config, plan = monitored
    jobs = _scrape(plan)
    expected: dict[str, dict[str, dict[str, str]]] = {}
    for name, service in config["services"].items():
        kind = repository(service["image"])
        if kind not in DATABASE_JOBS:
            assert kind not in EXPORTED_DATABASES, kind  # the table above covers the stacks
            continue
        job, port = DATABASE_JOBS[kind]
        exporter = plan.services[f"{name}-exporter"]
        address = _reach(config, f"{name}-exporter", service["machine"], port)
        expected.setdefault(job, {})[address] = {"machine": service["machine"], "service": name}
        # On the database's networks (plus the monitoring network on the monitoring machine);
        # a pgBouncer's on those it shares with its clients only (the services whose env names
        # it as their host), logging in as its first stats user.
        wanted = set(service["networks"])
        if kind == "pgbouncer":
            app = service["app"]
            clients = [s for s in config["services"].values() if name in s.get("env", {}).values()]
            assert clients, name
            wanted &= {n for client in clients for n in client["networks"]}
            passwords = {app["users"][app["statsUsers"][0]]["secret"]}
        else:
            passwords = {service["env"][PASSWORD_VARIABLES[kind]]["secret"]}
        if service["machine"] == config["monitoring"]["machine"]:
            wanted.add(config["monitoring"]["network"])
        assert set(exporter.networks) == wanted
        secrets = {v.path for v in exporter.secret_env.values() if isinstance(v, SecretPath)}
        assert secrets == passwords
    assert {job: _targets(jobs[job]) for job in expected} == expected


def test_livekit_and_the_set_itself_are_scraped(
    monitored: tuple[dict[str, Any], StackPlan],
) -> None:
    config, plan = monitored
    jobs = _scrape(plan)
    livekit = [
        (n, s) for n, s in config["services"].items() if s.get("app", {}).get("kind") == "livekit"
    ]
    if livekit:
        ((name, service),) = livekit
        home = service["machine"] == config["monitoring"]["machine"]
        host = service.get("networkMode") == "host"
        address = (
            f"{name}:6789"
            if home and not host
            else f"{config['guests'][service['machine']]['address']}:6789"
        )
        assert set(_targets(jobs["livekit"])) == {address}
    else:
        assert "livekit" not in jobs
    assert set(_targets(jobs["prometheus"])) == {"localhost:9090"}
    assert set(_targets(jobs["alertmanager"])) == {"alertmanager:9093"}


def test_every_public_route_is_probed_over_https(
    monitored: tuple[dict[str, Any], StackPlan],
) -> None:
    """Each route with the module that fits it: a route whose ``auth`` names users or networks
    refuses the prober (401/403), which the guarded module takes as success; Grafana's route
    always has ``allowFrom``."""
    config, plan = monitored
    wanted: dict[str, set[str]] = {}
    for service in config["services"].values():
        for e in service.get("expose", []):
            if e["kind"] == "route":
                auth = e.get("auth") or {}
                guarded = bool(auth.get("users") or auth.get("allowFrom"))
                module = "https_guarded" if guarded else "http_2xx"
                wanted.setdefault(module, set()).add(f"https://{e['host']}{e.get('path', '/')}")
    grafana = config["monitoring"]["grafana"]
    assert grafana["allowFrom"]
    wanted.setdefault("https_guarded", set()).add(f"https://{grafana['host']}/")
    job = _scrape(plan)["blackbox"]
    found = {group["labels"]["module"]: set(group["targets"]) for group in job["static_configs"]}
    assert found == wanted
    # The module label becomes the probe's module parameter.
    assert {"source_labels": ["module"], "target_label": "__param_module"} in job["relabel_configs"]


def test_exporters_publish_on_their_guests_address_only(
    monitored: tuple[dict[str, Any], StackPlan],
) -> None:
    config, plan = monitored
    home = config["monitoring"]["machine"]
    for name, machine in added_services(config).items():
        ports = plan.services[name].ports
        if name == "grafana" and machine in config.get("guests", {}):
            # Routed by a proxy on another guest: on the guest's address, like any route.
            assert [(p.ports.start, str(p.address)) for p in ports] == [
                (3000, config["guests"][machine]["address"])
            ]
        elif machine == home:
            assert ports == (), name
        else:
            assert len(ports) == 1, name
            (port,) = ports
            assert str(port.address) == config["guests"][machine]["address"]
            assert ipaddress.ip_address(str(port.address)).is_private
    # Nothing the set adds is opened at the edge.
    assert {o.service for o in plan.openings}.isdisjoint(added_services(config))


def test_retention_and_the_secret_files(monitored: tuple[dict[str, Any], StackPlan]) -> None:
    config, plan = monitored
    monitoring = config["monitoring"]
    command = plan.services["prometheus"].command or ()
    assert f"--storage.tsdb.retention.time={monitoring['retention']['time']}" in command
    size = monitoring["retention"].get("sizeGb")
    assert [c for c in command if c.startswith("--storage.tsdb.retention.size=")] == (
        [f"--storage.tsdb.retention.size={size}GB"] if size else []
    )
    (file,) = plan.services["alertmanager"].files
    assert isinstance(file.content, Rendered)  # a secret: the receivers' URLs are in it
    assert (file.mode, file.owner, file.group) == ("0440", "65534", "65534")
    wanted = set()
    for receiver in monitoring["receivers"].values():
        for part in receiver.values():
            wanted |= {v["secret"] for v in part.values() if isinstance(v, dict)}
    assert set(file.content.secrets.values()) == wanted
    grafana = plan.services["grafana"]
    assert grafana.secret_env["GF_SECURITY_ADMIN_PASSWORD"] == SecretPath(
        monitoring["grafana"]["adminPassword"]["secret"]
    )
    assert [r.service for r in plan.routes if r.host == monitoring["grafana"]["host"]] == [
        "grafana"
    ]


@pytest.mark.parametrize("stack", MONITORED)
def test_the_pack_accepts_every_monitored_stack(stack: str) -> None:
    # The real pack over the analyzer protocol: no exporter or admin port is public, every
    # host path and socket the exporters need is a declared exception.
    result = plan_stack(ROOT, stack)
    assert result.mandatory_violations == []
    names = {r.name for r in result.resources}
    assert {f"{n}-container" for n in added_services(stack_config(stack))} <= names


def _members(config: dict[str, Any]) -> dict[str, list[str]]:
    """platform:monitoring.resources' member -> the added services it sizes."""
    added = added_services(config)
    databases = {f"{n}-exporter" for n in config["services"]} & set(added)
    return {
        "prometheus": ["prometheus"],
        "alertmanager": ["alertmanager"],
        "grafana": ["grafana"],
        "blackbox": ["blackbox-exporter"],
        "nodeExporter": [n for n in added if n.startswith("node-exporter-")],
        "cadvisor": [n for n in added if n.startswith("cadvisor-")],
        "databaseExporters": sorted(databases),
    }


def test_the_set_has_the_stack_files_limits(monitored: tuple[dict[str, Any], StackPlan]) -> None:
    config, plan = monitored
    members = _members(config)
    given = config["monitoring"].get("resources", {})
    assert set(given) <= set(members)
    for member, values in given.items():
        assert members[member], member
        for name in members[member]:
            limits = plan.services[name].resources
            assert {key: getattr(limits, key) for key in values} == values, name


def test_a_small_machines_set_is_sized_in_its_stack_file() -> None:
    # staging's block sizes every member (the case above is not vacuous).
    config = stack_config("staging")
    assert set(config["monitoring"]["resources"]) == set(_members(config))


@pytest.mark.parametrize(
    ("service", "variable", "default"),
    # The users the official images create from their env: postgres's superuser
    # (docker-library/postgres docker_setup_env, default postgres) and mongo's root user
    # (docker-library/mongo docker-entrypoint.sh, no default: no authentication without it).
    [("mongodb", "MONGO_INITDB_ROOT_USERNAME", None), ("postgres", "POSTGRES_USER", "postgres")],
)
def test_the_exporter_logs_in_as_the_user_the_databases_env_names(
    service: str, variable: str, default: str | None
) -> None:
    stack = next(s for s in MONITORED if service in stack_config(s)["services"])
    spec = stack_spec(stack)
    for env in ({variable: "custodian"}, {}):
        kept = {k: v for k, v in spec.services[service].env.items() if k != variable}
        changed = spec.services[service].model_copy(update={"env": kept | env})
        plan = monitoring_plan(
            spec.model_copy(update={"services": {**spec.services, service: changed}})
        )
        assert plan is not None
        exporter = plan.services[f"{service}-exporter"]
        users = {k: v for k, v in exporter.env.items() if k.endswith("USER")}
        wanted = env.get(variable, default)
        assert list(users.values()) == ([wanted] if wanted else []), users
