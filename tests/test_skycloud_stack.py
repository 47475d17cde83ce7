"""skycloud (seed 002) as planned: only 22/80/443 public, every admin panel behind an NPM access
list, nothing but NPM publishing a port, NPM's admin port on the droplet's loopback only.

Expectations come from the seed (/work/shared/seeds/002: "Solo puertos 80/443/22 expuestos
públicamente"; Portainer, DbGate, Jenkins and RabbitMQ Admin "solo vía proxy", behind NPM's
access lists) and the stack file, never from the program.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from components.plan import PlanResult, plan_stack
from tests.monitoring_expected import added_services
from tests.stacks import ROOT

STACK = "skycloud"
SEED_PUBLIC_PORTS = {"22", "80", "443"}  # "Solo puertos 80/443/22 expuestos públicamente"
SEED_PANELS = {"portainer", "dbgate", "jenkins", "rabbitmq"}  # the seed's "Acceso solo vía proxy"


@cache
def _plan() -> PlanResult:
    return plan_stack(ROOT, STACK)


def _services() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())
    services: dict[str, Any] = document["config"]["platform:services"]
    return services


def test_the_stack_plans_with_no_mandatory_violation() -> None:
    result = _plan()
    assert result.resources
    assert result.mandatory_violations == []


def test_only_ssh_http_and_https_are_open() -> None:
    (firewall,) = [r for r in _plan().resources if r.type == "digitalocean:index/firewall:Firewall"]
    assert {rule["portRange"] for rule in firewall.inputs["inboundRules"]} == SEED_PUBLIC_PORTS


def test_only_the_proxy_publishes_and_its_admin_port_stays_on_loopback() -> None:
    containers = {
        r.name.removesuffix("-container"): r.inputs.get("ports") or []
        for r in _plan().resources
        if r.type == "docker:index/container:Container"
    }
    config = yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())["config"]
    added = added_services({k.removeprefix("platform:"): v for k, v in config.items()})
    assert set(added) >= {"prometheus", "grafana", "mysql-exporter", "mongodb-exporter"}
    assert set(containers) == set(_services()) | set(added)
    assert {name for name, ports in containers.items() if ports} == {"npm"}
    admin = [p for p in containers["npm"] if p["internal"] == 81]
    assert [p["ip"] for p in admin] == ["127.0.0.1"]


def test_every_admin_panel_is_routed_behind_an_access_list() -> None:
    hosts = {
        r.inputs["forwardHost"]: r.inputs
        for r in _plan().resources
        if r.name.startswith("npm-routes-proxy-host-")
    }
    assert set(hosts) >= SEED_PANELS
    for panel in SEED_PANELS:
        assert hosts[panel].get("accessListId") is not None, panel
        (route,) = [e for e in _services()[panel]["expose"] if e["kind"] == "route"]
        assert route["auth"], panel


def test_grafana_is_a_proxy_host_behind_an_access_list_for_the_admin_network() -> None:
    """The seed's "Agregar Prometheus + Grafana": Grafana is one more NPM proxy host, with an
    access list that lets in the stack file's allowFrom networks and denies the rest."""
    config = yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())["config"]
    grafana = config["platform:monitoring"]["grafana"]
    resources = {r.name: r.inputs for r in _plan().resources}
    host = resources[f"npm-routes-proxy-host-{grafana['host']}"]
    assert host["domainNames"] == [grafana["host"]]
    assert (host["forwardHost"], host["forwardPort"]) == ("grafana", 3000)
    assert host["accessListId"] is not None
    access = resources[f"npm-routes-access-list-{grafana['host']}"]
    assert access["clients"] == [
        *({"directive": "allow", "address": network} for network in grafana["allowFrom"]),
        {"directive": "deny", "address": "all"},
    ]
    # No basic auth: Grafana reads the Authorization header itself.
    assert access["items"] == []
