"""Seed 001's "Complete" and "Hybrid" shapes as planned (jupiter-complete, jupiter-hybrid).

Expectations come from the seed (/work/shared/seeds/001: Nginx "como punto de entrada",
"Aislamiento de servicios (no exposición de puertos internos)", "Acceso a API a través de rutas
(/api) en lugar de puertos", /rabbitmq routed to RabbitMQ, "PostgreSQL + pgBouncer",
"Monitoreo con Prometheus/Grafana", "Backup programado de bases de datos", "Respaldo de
volúmenes") and the stack files; the exporters' ports are the upstream programs' defaults.
Nothing is read back from the code under test but the plan itself.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
import yaml

from components.apps import prometheus
from components.derive.plan import StackPlan, stack_plan
from components.plan import PlanResult, RecordedResource, plan_stack
from tests.monitored_stacks import files_of
from tests.monitoring_expected import SET_VOLUMES
from tests.stacks import ROOT, stack_spec

COMPLETE, HYBRID = "jupiter-complete", "jupiter-hybrid"
STACKS = (COMPLETE, HYBRID)
SEED_PUBLIC_PORTS = {"22", "80", "443"}  # SSH for the admins, Nginx's HTTP and HTTPS
# The seed's diagram: HTTPS to the web app, /api to the app server, /rabbitmq to RabbitMQ.
SEED_ROUTES = {"/": "web", "/api": "api", "/rabbitmq": "rabbitmq"}
# Default ports: postgres_exporter 9187, pgbouncer_exporter 9127 (its README), RabbitMQ's
# rabbitmq_prometheus plugin 15692.
EXPORTERS = {
    "postgres": "postgres-exporter:9187",
    "pgbouncer": "pgbouncer-exporter:9127",
    "rabbitmq": "rabbitmq:15692",
}
# DigitalOcean's basic droplet sizes by memory, as their slugs say (s-<vcpus>vcpu-<memory>gb).
DROPLET_MEMORY_MIB = {"s-1vcpu-2gb": 2048, "s-2vcpu-4gb": 4096, "s-4vcpu-8gb": 8192}


@cache
def _plan(stack: str) -> PlanResult:
    return plan_stack(ROOT, stack)


@cache
def _derived(stack: str) -> StackPlan:
    return stack_plan(stack_spec(stack))


def _config(stack: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {k.removeprefix("platform:"): v for k, v in document["config"].items()}


def _of_type(stack: str, type_: str) -> list[RecordedResource]:
    return [r for r in _plan(stack).resources if r.type == type_]


def _containers(stack: str) -> dict[str, RecordedResource]:
    return {
        r.name.removesuffix("-container"): r
        for r in _of_type(stack, "docker:index/container:Container")
    }


def _internal_networks(stack: str) -> set[str]:
    return {
        r.inputs["name"]
        for r in _of_type(stack, "docker:index/network:Network")
        if r.inputs["internal"]
    }


def _networks_of(container: RecordedResource) -> set[str]:
    return {n["name"] for n in container.inputs["networksAdvanced"]}


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_plans_with_no_mandatory_violation(stack: str) -> None:
    result = _plan(stack)
    assert result.resources
    assert result.mandatory_violations == []


@pytest.mark.parametrize("stack", STACKS)
def test_only_ssh_http_and_https_are_open(stack: str) -> None:
    (firewall,) = _of_type(stack, "digitalocean:index/firewall:Firewall")
    assert {rule["portRange"] for rule in firewall.inputs["inboundRules"]} == SEED_PUBLIC_PORTS


@pytest.mark.parametrize("stack", STACKS)
def test_only_nginx_publishes_a_port(stack: str) -> None:
    containers = _containers(stack)
    assert set(containers) >= set(_config(stack)["services"])
    published = {name for name, c in containers.items() if c.inputs.get("ports")}
    assert published == {_config(stack)["proxy"]["service"]}
    assert {p["internal"] for p in containers["nginx"].inputs["ports"]} == {80, 443}


def test_the_stores_and_pgbouncer_have_no_route_out() -> None:
    # Every network PostgreSQL, pgBouncer and RabbitMQ (its AMQP port included) join is internal.
    containers, internal = _containers(COMPLETE), _internal_networks(COMPLETE)
    for name in ("postgres", "pgbouncer", "rabbitmq"):
        networks = _networks_of(containers[name])
        assert networks, name
        assert networks <= internal, name


def test_hybrid_rabbitmq_has_no_route_out_and_pgbouncer_alone_goes_out() -> None:
    containers, internal = _containers(HYBRID), _internal_networks(HYBRID)
    assert _networks_of(containers["rabbitmq"]) <= internal
    # pgBouncer's way to the managed cluster, which the stack file says it has alone: no other
    # container of the plan is on it, the ones the monitoring set adds included.
    (egress,) = _networks_of(containers["pgbouncer"]) - internal
    others = {name for name, c in containers.items() if egress in _networks_of(c)} - {"pgbouncer"}
    assert others == set()


def test_clients_reach_postgres_only_through_pgbouncer() -> None:
    containers = _containers(COMPLETE)
    postgres = _networks_of(containers["postgres"])
    sharing = {name for name, c in containers.items() if _networks_of(c) & postgres}
    # PostgreSQL, pgBouncer, and the exporter next to it that the monitoring set adds.
    assert sharing == {"postgres", "pgbouncer", "postgres-exporter"}
    services = _config(COMPLETE)["services"]
    for client in ("api", "worker"):
        assert services[client]["env"]["DATABASE_HOST"] == "pgbouncer"


def _site(stack: str, host: str) -> str:
    files = files_of(_derived(stack).services["nginx"])
    return files[f"/etc/nginx/selfhosted/sites/{host}.tls.conf"]


def _locations(site: str) -> dict[str, str]:
    """``{path: the location block's body}`` of a rendered site's TLS server."""
    found = {}
    for match in re.finditer(r"location (?:= |\^~ )?(\S+) \{\n(.*?)\n    \}", site, re.S):
        path, body = match.group(1), match.group(2)
        if "proxy_pass" in body:
            found[path.rstrip("/") or "/"] = body
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_the_seeds_routes_and_grafana_go_through_nginx(stack: str) -> None:
    config = _config(stack)
    services = config["services"]
    host = services["web"]["expose"][0]["host"]
    locations = _locations(_site(stack, host))
    routed = {p: s for p, s in SEED_ROUTES.items() if "expose" in services[s]}
    assert set(locations) == set(routed)
    for path, service in routed.items():
        (route,) = [e for e in services[service]["expose"] if e["kind"] == "route"]
        assert f"http://{service}:{route['port']}" in locations[path], path
        allowed = route.get("auth", {}).get("allowFrom", [])
        assert re.findall(r"allow (\S+);", locations[path]) == allowed, path
        assert ("deny all;" in locations[path]) == bool(allowed), path
    # Grafana: its own host, the admin network only.
    grafana = config["monitoring"]["grafana"]
    (body,) = _locations(_site(stack, grafana["host"])).values()
    assert "http://grafana:3000" in body
    assert f"allow {grafana['allowFrom'][0]};" in body
    assert "deny all;" in body


def test_complete_routes_api_and_rabbitmq() -> None:
    # The seed's own paths, whatever the stack file says.
    routed = _locations(_site(COMPLETE, "app.jupiter.example.com"))
    assert set(SEED_ROUTES) <= set(routed)
    assert "deny all;" in routed["/rabbitmq"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_store_is_backed_up_off_site(stack: str) -> None:
    services = _config(stack)["services"]
    stores = {name for name, s in services.items() if s.get("stateful")} | set(SET_VOLUMES)
    jobs = {r.inputs["container"]: r for r in _of_type(stack, "selfhosted:backup:BackupJob")}
    assert set(jobs) == stores
    assert {job.inputs["offsite"] for job in jobs.values()} == {"sftp"}
    if stack == COMPLETE:
        assert {"postgres", "rabbitmq"} <= stores


def test_hybrids_postgresql_is_the_providers_to_back_up() -> None:
    # No PostgreSQL container to dump: the managed cluster's backups are DigitalOcean's.
    assert "postgres" not in _containers(HYBRID)
    assert _of_type(HYBRID, "digitalocean:index/databaseCluster:DatabaseCluster")


def _scrape_targets(stack: str) -> dict[str, set[str]]:
    text = files_of(_derived(stack).services["prometheus"])[prometheus.CONFIG_PATH]
    jobs = yaml.safe_load(text)["scrape_configs"]
    return {
        job["job_name"]: {t for c in job["static_configs"] for t in c["targets"]} for job in jobs
    }


@pytest.mark.parametrize("stack", STACKS)
def test_every_database_and_broker_is_scraped(stack: str) -> None:
    targets = _scrape_targets(stack)
    expected = dict(EXPORTERS)
    if stack == HYBRID:
        del expected["postgres"]  # the managed cluster: DigitalOcean's monitoring
        assert "postgres" not in targets
    for job, address in expected.items():
        assert targets[job] == {address}, job


def test_the_seeds_routes_and_grafana_are_probed() -> None:
    # Every route of every monitored stack is (tests/derive/test_monitoring.py); here the
    # seed's own paths of the complete shape, with Grafana's host.
    host = _config(COMPLETE)["services"]["web"]["expose"][0]["host"]
    grafana = _config(COMPLETE)["monitoring"]["grafana"]["host"]
    wanted = {f"https://{host}{path}" for path in SEED_ROUTES} | {f"https://{grafana}/"}
    assert _scrape_targets(COMPLETE)["blackbox"] == wanted


@pytest.mark.parametrize("stack", STACKS)
def test_the_droplet_is_the_smallest_size_that_holds_the_memory_limits(stack: str) -> None:
    size = _config(stack)["hosts"]["jupiter"]["size"]
    (droplet,) = _of_type(stack, "digitalocean:index/droplet:Droplet")
    assert droplet.inputs["size"] == size
    limits = sum(c.inputs["memory"] for c in _containers(stack).values())
    smaller = [m for m in DROPLET_MEMORY_MIB.values() if m < DROPLET_MEMORY_MIB[size]]
    assert limits <= DROPLET_MEMORY_MIB[size]
    assert limits > max(smaller)
