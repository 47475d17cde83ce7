"""The StackPlan, derived once: every expectation here is read from the stack files themselves."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any

import pytest
import yaml

from components.derive.plan import (
    ProxmoxHostPlan,
    ServerHostPlan,
    StackPlan,
    stack_plan,
)
from components.spec import PlatformSpec
from components.values import Rendered, SecretPath
from tests.monitoring_expected import SET_VOLUMES, added_services
from tests.stacks import ROOT, stack_spec

STACKS = ("prod", "staging", "hub")


def _config(stack: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {k.removeprefix("platform:"): v for k, v in document["config"].items()}


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest) -> tuple[dict[str, Any], StackPlan]:
    return _config(request.param), stack_plan(stack_spec(request.param))


def test_every_service_is_planned_on_its_machine(stack: tuple[dict[str, Any], StackPlan]) -> None:
    config, plan = stack
    added = added_services(config)
    assert {n: s.machine for n, s in plan.services.items()} == {
        **{n: s["machine"] for n, s in config["services"].items()},
        **added,
    }
    output = dict(plan.services_output)
    assert {n: output.pop(n)["machine"] for n in added} == added
    assert output == {
        n: {"machine": s["machine"], "image": s["image"]} for n, s in config["services"].items()
    }


def test_secret_env_names_the_secret_paths_of_the_stack_file(
    stack: tuple[dict[str, Any], StackPlan],
) -> None:
    config, plan = stack
    for name, service in config["services"].items():
        wanted = {
            key: value["secret"]
            for key, value in service.get("env", {}).items()
            if isinstance(value, dict)
        }
        proxy = config.get("proxy", {})
        if proxy.get("kind") == "nginx-proxy-manager" and proxy["service"] == name:
            # NPM creates its first admin from INITIAL_ADMIN_PASSWORD (v2.12.6 backend/setup.js).
            wanted["INITIAL_ADMIN_PASSWORD"] = proxy["bootstrapPassword"]["secret"]
        got = {
            key: value.path
            for key, value in plan.services[name].secret_env.items()
            if isinstance(value, SecretPath)
        }
        assert got == wanted, name


def test_routes_and_openings_are_the_stack_files_exposures(
    stack: tuple[dict[str, Any], StackPlan],
) -> None:
    config, plan = stack
    routes = sorted(
        (e["host"], e.get("path", "/"), name)
        for name, s in config["services"].items()
        for e in s.get("expose", [])
        if e["kind"] == "route"
    )
    forwards = sorted(
        (name, e["protocol"], str(e["ports"]))
        for name, s in config["services"].items()
        for e in s.get("expose", [])
        if e["kind"] == "forward"
    )
    if "monitoring" in config:  # Grafana's route
        routes = sorted([*routes, (config["monitoring"]["grafana"]["host"], "/", "grafana")])
    # The proxy's 80/443 are not written in the stack file: its kind implies them.
    proxy = config["proxy"]["service"]
    forwards += [(proxy, "tcp", "80"), (proxy, "tcp", "443")]
    assert [(r.host, r.path, r.service) for r in plan.routes] == routes
    assert sorted((o.service, o.protocol, str(o.ports)) for o in plan.openings) == sorted(forwards)


def test_each_host_gets_its_slice(stack: tuple[dict[str, Any], StackPlan]) -> None:
    config, plan = stack
    assert set(plan.hosts) == set(config["hosts"])
    for name, host in plan.hosts.items():
        kind = config["hosts"][name]["kind"]
        assert host.kind == kind
        if kind == "proxmox":
            assert isinstance(host, ProxmoxHostPlan)
            guests = {g: v for g, v in config["guests"].items() if v["host"] == name}
            assert [g.name for g in host.guests] == list(guests)
            busy = {s["machine"] for s in config["services"].values()}
            busy |= {config["monitoring"]["machine"]} if "monitoring" in config else set()
            assert {e.name for e in host.engines} == {f"{name}-{g}-engine" for g in busy}
            assert {r.target.exploded for r in host.nat.rules} <= {
                guests[g]["address"] for g in busy
            }
        else:
            assert isinstance(host, ServerHostPlan)
            assert host.engine.name == f"{name}-engine"
            assert all(o.host == name for o in host.openings)
        assert host.admin_keys == tuple(config["adminSshKeys"])


def test_config_paths_name_the_key_each_resource_comes_from() -> None:
    config, plan = _config("prod"), stack_plan(stack_spec("prod"))
    paths = dict(plan.config_paths)
    assert paths.pop("ax102-nat-ruleset") == "platform:hosts.ax102"
    assert paths.pop("ax102-nat-bridge") == "platform:hosts.ax102.natBridge"
    for guest in config["guests"]:
        assert paths.pop(f"ax102-{guest}-container") == f"platform:guests.{guest}"
    for name, service in config["services"].items():
        assert paths.pop(f"{name}-container") == f"platform:services.{name}"
        assert paths.pop(f"{name}-image") == f"platform:services.{name}"
        for volume in service.get("volumes", []):
            assert paths.pop(f"{name}-{volume['name']}") == f"platform:services.{name}.volumes"
        # platform:backups: a job for each service that keeps data, a step on its machine.
        if service.get("stateful") or service.get("volumes"):
            assert paths.pop(f"{name}-backup") == f"platform:services.{name}"
            paths.pop(f"{service['machine']}-backups", None)
    for name in added_services(config):
        assert paths.pop(f"{name}-container") == "platform:monitoring"
        assert paths.pop(f"{name}-image") == "platform:monitoring"
    for name, volume in SET_VOLUMES.items():
        assert paths.pop(f"{name}-{volume}") == "platform:monitoring"
        # The set's data is backed up like any other service's (platform:backups); the job
        # names the block the service comes from, since it has no platform:services entry.
        assert paths.pop(f"{name}-backup") == "platform:monitoring"
    if SET_VOLUMES and "backups" in config:
        paths.pop(f"{config['monitoring']['machine']}-backups", None)
    assert paths == {}


def test_livekit_config_is_rendered_from_secrets_and_the_public_address() -> None:
    config = _config("prod")["services"]["livekit"]["app"]
    value = stack_plan(stack_spec("prod")).services["livekit"].secret_env["LIVEKIT_CONFIG"]
    assert isinstance(value, Rendered)
    assert value.public_address
    assert dict(value.secrets) == {
        "api_key": config["apiKey"]["secret"],
        "api_secret": config["apiSecret"]["secret"],
        "redis_password": config["redisPassword"]["secret"],
    }
    text = value.render(
        {"public_address": "203.0.113.10", "api_key": "k", "api_secret": "s", "redis_password": "p"}
    )
    assert yaml.safe_load(text)["rtc"]["node_ip"] == "203.0.113.10"


def _component_args() -> list[type]:
    found = []
    for package in ("components.docker", "components.hosts"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            for value in vars(importlib.import_module(info.name)).values():
                if dataclasses.is_dataclass(value) and isinstance(value, type):
                    found.append(value)
    return found


def test_no_component_is_given_the_whole_spec() -> None:
    args = _component_args()
    assert any(a.__name__ == "ProxmoxPlatformArgs" for a in args)  # the walk finds them
    # Annotations are strings here (``from __future__ import annotations``).
    offenders = [
        f"{a.__module__}.{a.__name__}.{f.name}"
        for a in args
        for f in dataclasses.fields(a)
        if PlatformSpec.__name__ in str(f.type)
    ]
    assert offenders == []
