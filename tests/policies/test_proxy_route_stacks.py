"""proxy-route-admin-panel-authenticated on the repository's real stacks: the program under
mocks, then the real pack process (``plan_stack``). The stacks that route admin panels through
NPM (skycloud, prod, staging) and through plain Nginx (the jupiter stacks) are clean, with the
rule really run at preview (no not-run advisory); a copy of a stack file with a panel's
``auth`` dropped fails, naming the route and the container. What is expected comes from the
stack files."""

from __future__ import annotations

import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

import crossplane
import pytest
import yaml

from components.plan import PlanResult, plan_stack
from tests.stacks import ROOT, STACKS

sys.path.insert(0, str(ROOT / "policies"))

from lib.nginx_config import routes

RULE = "proxy-route-admin-panel-authenticated"
CONTAINER = "docker:index/container:Container"


def _config(stack_file: Path) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(stack_file.read_text())["config"]
    return config


def _services(stack_file: Path) -> dict[str, Any]:
    services: dict[str, Any] = _config(stack_file)["platform:services"]
    return services


def _proxied_by(*kinds: str) -> list[str]:
    """The repository's stacks whose proxy is one of ``kinds`` (from the stack files)."""
    return [
        stack
        for stack in STACKS
        if _config(ROOT / f"Pulumi.{stack}.yaml").get("platform:proxy", {}).get("kind") in kinds
    ]


NGINX_STACKS = _proxied_by("nginx")
# Grafana's port in the image (grafana/grafana's Dockerfile: EXPOSE 3000); its route comes from
# platform:monitoring.grafana, not from platform:services.
GRAFANA_PORT = 3000


@cache
def _plan(stack: str) -> PlanResult:
    return plan_stack(ROOT, stack)


def _rule(result: PlanResult) -> list[tuple[str, str]]:
    return [
        (v.urn.rpartition("::")[2], v.message.partition("\n")[2])
        for v in result.violations
        if v.policy == RULE
    ]


@pytest.mark.parametrize("stack", _proxied_by("nginx", "nginx-proxy-manager"))
def test_the_real_stacks_route_no_panel_without_authentication(stack: str) -> None:
    assert _rule(_plan(stack)) == []


def _without_auth(tmp_path: Path, stack: str, service: str) -> tuple[Path, dict[str, Any]]:
    """A copy of the stack file whose ``service``'s route has no ``auth``; and that route."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    (route,) = [
        e
        for e in document["config"]["platform:services"][service]["expose"]
        if e["kind"] == "route"
    ]
    assert route.pop("auth"), f"{stack}: {service}'s route has auth to drop"
    copy = tmp_path / f"Pulumi.{stack}.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False))
    return copy, route


def test_skycloud_without_dbgates_access_list_fails(tmp_path: Path) -> None:
    copy, route = _without_auth(tmp_path, "skycloud", "dbgate")
    host, port = route["host"], route["port"]
    assert _rule(plan_stack(ROOT, "skycloud", config_file=copy)) == [
        (
            f"npm-routes-proxy-host-{host}",
            f"NPM proxy host {host} routes / to dbgate:{port}, container dbgate-container "
            "running DbGate, and it has no access list.",
        )
    ]


def test_jupiter_minimal_without_rabbitmqs_allow_list_fails(tmp_path: Path) -> None:
    copy, route = _without_auth(tmp_path, "jupiter-minimal", "rabbitmq")
    host, path, port = route["host"], route["path"], route["port"]
    site = f"/etc/nginx/selfhosted/sites/{host}.tls.conf"
    # nginx matches a path route on the path itself and below it: two locations.
    assert _rule(plan_stack(ROOT, "jupiter-minimal", config_file=copy)) == [
        (
            "nginx-container",
            f"Nginx container nginx-container routes {host} location {location} ({site}) to "
            f"rabbitmq:{port}, container rabbitmq-container running RabbitMQ management, and "
            "it has no auth_basic, auth_request or allow + deny all.",
        )
        for location in (f"= {path}", f"^~ {path}/")
    ]


def _nginx_uploads(stack: str) -> dict[str, str]:
    result = _plan(stack)
    (nginx,) = [r for r in result.resources if r.type == CONTAINER and r.name == "nginx-container"]
    return {u["file"]: u["content"] for u in nginx.inputs["uploads"]}


@pytest.mark.parametrize("stack", NGINX_STACKS)
def test_crossplane_parses_the_rendered_config_as_nginx_loads_it(
    stack: str, tmp_path: Path
) -> None:
    """The uploaded files laid out as in the container, under an nginx.conf like the image's
    (http {} including conf.d/*.conf), each host's phase-2 site active: crossplane follows the
    includes with its context and argument checks on and finds no error."""
    uploads = _nginx_uploads(stack)
    root = tmp_path / "etc" / "nginx"
    for path, content in uploads.items():
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content.replace("/etc/nginx/", f"{root}/"))
    active = root / "selfhosted" / "active"
    active.mkdir(parents=True)
    for site in (root / "selfhosted" / "sites").glob("*.tls.conf"):
        shutil.copy(site, active / site.name)
    main = root / "nginx.conf"
    main.write_text(f"events {{}}\nhttp {{\n    include {root}/conf.d/*.conf;\n}}\n")
    parsed = crossplane.parse(str(main))
    assert parsed["errors"] == []
    assert len(parsed["config"]) == 2 + len(list(active.iterdir()))


@pytest.mark.parametrize("stack", NGINX_STACKS)
def test_the_rules_reading_of_the_rendered_sites_is_the_stack_files_routes(stack: str) -> None:
    uploads = _nginx_uploads(stack)
    found = {
        (name, str(route.upstream))
        for path, text in uploads.items()
        if path.endswith(".tls.conf")
        for route in routes(text)
        for name in route.server_names
    }
    config = _config(ROOT / f"Pulumi.{stack}.yaml")
    expected = {
        (e["host"], f"{service}:{e['port']}")
        for service, spec in config["platform:services"].items()
        for e in spec.get("expose") or []
        if e["kind"] == "route"
    }
    grafana = config.get("platform:monitoring", {}).get("grafana")
    if grafana:
        expected.add((grafana["host"], f"grafana:{GRAFANA_PORT}"))
    assert expected
    assert found == expected
