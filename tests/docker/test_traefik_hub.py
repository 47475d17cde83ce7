"""The hub's Traefik for real: the stack's containers in the test engine, Traefik itself running
the real binary on the stack's static config, its Docker provider reading the containers'
labels over the engine's socket.

What is proven: every route exposure of Pulumi.hub.yaml (read here from the stack file, not from
the code under test) is a router `<router>@docker` that Traefik enabled, on the `websecure`
entrypoint, with TLS and the stack's certificate resolver and the rule `Host(...)` (plus
`PathPrefix(...)` for a path), served by the container's address on the proxy network; no router
or service reports an error; the HTTP entrypoint redirects to https; the stack's healthcheck
command passes. The API is turned on by this test only (`api.insecure` added to the YAML).

The static config is the one the plan delivers: the Traefik container's upload at
/etc/traefik/traefik.yml, rendered from platform:proxy (components/proxies/traefik.py).

The certificate resolver cannot reach Let's Encrypt from the engine's namespace (no route out):
routers register anyway (Traefik serves its default certificate meanwhile). Its first attempt
fails about 10 s after start, later than this test looks, one domain at a time: `ERR Unable to
obtain ACME certificate for domains error="cannot get ACME client get directory at
'https://acme-v02.api.letsencrypt.org/directory': ... lookup acme-v02.api.letsencrypt.org on
127.0.0.11:53: ... i/o timeout" providerName=letsencrypt.acme routerName=agent@docker`. Any
line Traefik logs (it logs at ERROR) is printed under "docker engine timings", and any but
those fails the test: a router naming a resolver the static config lacks is still `enabled`
in the API, and only the log says "Router uses a nonexistent certificate resolver".
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.plan import RecordedResource, plan_stack
from components.render.traefik import STATIC_CONFIG_PATH

from .engine import TIMINGS, DockerEngine
from .harness import (
    CONTAINER_TYPE,
    STANDIN_ADDRESS,
    ContainerDecl,
    Materialised,
    StackDecl,
    Upload,
    materialise,
    read_stack,
)
from .traefik import Answer, http_get

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = ROOT / "Pulumi.hub.yaml"
API_PORT = 8080  # Traefik's internal entrypoint `traefik` (ping, and the API in this test)
ROUTERS_TIMEOUT = 30.0


# ---- what the stack file says, read without the code under test -----------------------------


def stack_config() -> dict[str, Any]:
    data = yaml.safe_load(STACK_FILE.read_text())
    config = data["config"]
    assert isinstance(config, dict)
    return config


def expected_routers() -> dict[str, dict[str, Any]]:
    """`<router>@docker` -> the router Traefik should have, from the stack file's routes.

    Router names follow the labels' contract (components/proxies/traefik.py): the service's
    name, or `<service>-<index>` when it has more than one route.
    """
    config = stack_config()
    proxy = config["platform:proxy"]
    resolver = proxy.get("certResolver", "letsencrypt")  # the spec's documented default
    routers: dict[str, dict[str, Any]] = {}
    for service, spec in config["platform:services"].items():
        routes = [e for e in spec.get("expose") or [] if e["kind"] == "route"]
        for index, route in enumerate(routes):
            name = f"{service}-{index}" if len(routes) > 1 else service
            rule = f"Host(`{route['host']}`)"
            if route.get("path", "/") != "/":
                rule += f" && PathPrefix(`{route['path']}`)"
            routers[f"{name}@docker"] = {
                "service": service,
                "port": int(route["port"]),
                "rule": rule,
                "resolver": resolver,
            }
    grafana = (config.get("platform:monitoring") or {}).get("grafana")
    if grafana is not None:
        # platform:monitoring's Grafana: one route to its http_port (3000, Grafana's default).
        routers["grafana@docker"] = {
            "service": "grafana",
            "port": 3000,
            "rule": f"Host(`{grafana['host']}`)",
            "resolver": resolver,
        }
    return routers


def proxy_network() -> str:
    config = stack_config()
    key = config["platform:proxy"]["network"]
    return str(config["platform:networks"][key].get("dockerName", key))


# ---- the stack, with Traefik's static config and the test's API ------------------------------


def _recorded() -> list[RecordedResource]:
    return plan_stack(ROOT, "hub").resources


def _traefik(stack: StackDecl) -> ContainerDecl:
    return next(c for c in stack.containers if c.node == "traefik")


def static_config_text(traefik: ContainerDecl) -> str:
    """The static config the plan delivers into the Traefik container (its upload)."""
    found = [u for u in traefik.uploads if u.file == STATIC_CONFIG_PATH]
    assert len(found) == 1, f"the plan's Traefik has no upload at {STATIC_CONFIG_PATH}"
    assert traefik.command is None, "Traefik's static config comes from the file, not flags"
    return found[0].content.decode()


def with_test_api(text: str) -> bytes:
    """The static config with the API on Traefik's internal entrypoint: this test only."""
    data = yaml.safe_load(text)
    assert "api" not in data, "the stack's own static config must not turn the API on"
    data["api"] = {"insecure": True, "dashboard": False}
    return yaml.safe_dump(data, sort_keys=False).encode()


def stack_with_real_traefik(resources: list[RecordedResource]) -> StackDecl:
    stack = read_stack(resources)
    traefik = _traefik(stack)
    config = Upload(STATIC_CONFIG_PATH, with_test_api(static_config_text(traefik)), 0o644, 0, 0)
    uploads = (*(u for u in traefik.uploads if u.file != STATIC_CONFIG_PATH), config)
    real = dataclasses.replace(traefik, uploads=uploads)
    containers = tuple(real if c is traefik else c for c in stack.containers)
    return dataclasses.replace(stack, containers=containers)


def _api(m: Materialised, netns: str, path: str) -> Any:
    answer = http_get(netns, m.addresses["traefik"][proxy_network()], API_PORT, path)
    assert answer.status == 200, (path, answer)
    return answer.json()


def _wait_for_routers(m: Materialised, netns: str, names: set[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + ROUTERS_TIMEOUT
    routers: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            routers = _api(m, netns, "/api/http/routers")
            if names <= {r["name"] for r in routers}:
                return routers
        except (ConnectionError, AssertionError):
            pass  # not listening yet
        time.sleep(0.3)
    raise AssertionError(
        f"Traefik did not register {sorted(names)} in {ROUTERS_TIMEOUT:.0f}s; it has "
        f"{sorted(r['name'] for r in routers)}"
    )


@pytest.fixture(scope="module")
def hub() -> tuple[list[RecordedResource], StackDecl]:
    resources = _recorded()
    return resources, stack_with_real_traefik(resources)


def test_traefik_routes_every_route_of_the_stack_file(
    docker_engine: DockerEngine, traefik_image: str, hub: tuple[list[RecordedResource], StackDecl]
) -> None:
    resources, stack = hub
    expected = expected_routers()
    assert expected, "the hub stack file has route exposures"
    netns = docker_engine.netns
    t0 = time.monotonic()
    with materialise(docker_engine, stack, images={"traefik": traefik_image}) as m:
        routers = _wait_for_routers(m, netns, set(expected))
        t_routers = time.monotonic() - t0
        by_name = {r["name"]: r for r in routers}
        problems = []
        for name, want in expected.items():
            got = by_name[name]
            seen = {
                "status": got.get("status"),
                "entryPoints": got.get("entryPoints"),
                "tls": got.get("tls"),
                "rule": got.get("rule"),
                "service": got.get("service"),
                "error": got.get("error"),
            }
            wanted = {
                "status": "enabled",
                "entryPoints": ["websecure"],
                "tls": {"options": "default", "certResolver": want["resolver"]},
                "rule": want["rule"],
                "service": want["service"],
                "error": None,
            }
            if seen != wanted:
                problems.append(f"{name}: got {seen}, want {wanted}")
        # Only the stack's routers come from Docker (exposedByDefault is false).
        from_docker = {r["name"] for r in routers if r["provider"] == "docker"}
        if from_docker != set(expected):
            problems.append(f"docker routers {sorted(from_docker)} != {sorted(expected)}")
        # Each service's backend is its address on the proxy network, at the route's port.
        services = {s["name"]: s for s in _api(m, netns, "/api/http/services")}
        for want in expected.values():
            service = services.get(f"{want['service']}@docker", {})
            address = m.addresses[want["service"]][proxy_network()]
            servers = service.get("loadBalancer", {}).get("servers", [])
            if service.get("status") != "enabled" or servers != [
                {"url": f"http://{address}:{want['port']}"}
            ]:
                problems.append(f"service {want['service']}@docker: {service}")
        overview = _api(m, netns, "/api/overview")
        for kind in ("routers", "services", "middlewares"):
            if overview["http"][kind]["errors"] or overview["http"][kind]["warnings"]:
                problems.append(f"overview http {kind}: {overview['http'][kind]}")
        if overview["providers"] != ["Docker"]:
            problems.append(f"providers {overview['providers']}")
        errors = [
            f"{r['name']}: {r['error']}"
            for r in [*routers, *services.values()]
            if r.get("error") or r.get("status") != "enabled"
        ]
        problems += errors
        # The HTTP entrypoint, through the published port 80, redirects to https.
        redirect = _redirect(netns, "agent.versatilehub.app")
        if (redirect.status, redirect.headers.get("Location")) != (
            301,
            "https://agent.versatilehub.app/health?x=1",
        ):
            problems.append(f"redirect: {redirect}")
        # The stack's own healthcheck command, run as Docker would run it.
        health = _healthcheck(docker_engine, m, resources)
        if health[0] != 0:
            problems.append(f"healthcheck exited {health[0]}: {health[1]}")
        log = docker_engine.api.logs(m.ids["traefik"], stdout=True, stderr=True).decode(
            errors="replace"
        )
    TIMINGS.append(
        f"hub with the real Traefik: {len(expected)} routers registered "
        f"{t_routers:.1f}s after materialising started; {time.monotonic() - t0:.1f}s in all"
    )
    TIMINGS.extend(f"traefik log: {line[:300]}" for line in log.splitlines())
    assert problems == [], "\n".join([*problems, "traefik log:", log])
    # Nothing but the ACME resolver failing to reach its CA (no route out) may log an error.
    resolver = next(iter(expected.values()))["resolver"]
    other = [
        line
        for line in log.splitlines()
        if not ("Unable to obtain ACME certificate" in line and f"{resolver}.acme" in line)
    ]
    assert other == [], log


def _redirect(netns: str, host: str) -> Answer:
    return http_get(netns, STANDIN_ADDRESS, 80, "/health?x=1", host=host)


def _healthcheck(
    engine: DockerEngine, m: Materialised, resources: list[RecordedResource]
) -> tuple[int, str]:
    recorded = next(
        r for r in resources if r.type == CONTAINER_TYPE and r.name.startswith("traefik")
    )
    test = recorded.inputs["healthcheck"]["tests"]
    assert test[0] == "CMD", test
    exec_id = engine.api.exec_create(m.ids["traefik"], test[1:], stdout=True, stderr=True)
    output = engine.api.exec_start(exec_id).decode(errors="replace")
    return int(engine.api.exec_inspect(exec_id)["ExitCode"]), output
