"""Nginx Proxy Manager's nginx in front of real backends, serving what the program declares, on
the test Docker engine: the NPM edge stack (tests/docker/npm_stack.py: staging's npm service with
echo backends on its app host's routes) planned by the program, each proxy host's body rendered by
NPM's own templates and Liquid engine into the config NPM would write (tests/docker/npm_nginx.py,
tests/proxies/npm_render.js), served by a real nginx laid out as NPM's image, with NPM's own
nginx.conf; Docker's embedded DNS as the resolver. NPM's Node backend does not run here.

Proven, with the expectations from the stack file (``STAGING``):
- the app host's ``/`` and its path route reach their services over HTTPS, HTTP is redirected
  and HSTS is sent (NPM's ssl_forced, hsts_enabled);
- zero-downtime redeploys of the service behind the path route (an NPM custom location) and of
  the one at ``/``, each following pulumi-docker's create-before-delete step by step
  (tests/docker/redeploy.py ``provider_replace``) while a client loop sends requests through
  nginx: no failed request, the old container gone, the new version answering, nginx not
  reloaded. The control: the same host rendered as the program rendered it before (a literal
  forward host in the location, no advanced config: NPM's defaults), served by a second NPM
  nginx on the same network: its path route fails once the old container is gone, as README
  "Redeploys without downtime" said it did. (Not in the same nginx: a literal ``proxy_pass
  http://backend:8000`` defines an implicit server group named ``backend:8000``, and nginx
  sends a variable's ``backend:8000`` to a group of that name before it asks the resolver,
  ngx_http_upstream.c ``ngx_http_upstream_init_request``: one such location anywhere in NPM
  pins every route to that name to the address it had at load.)
- the failure case: a new image that never becomes healthy leaves the old one serving;
- every proxy host of every stack with NPM loads in NPM's nginx (``nginx -t``).
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker.errors
import pytest
import yaml

from components.plan import plan_stack
from tests.stacks import ROOT, STACKS

from .echo import import_echo_image
from .engine import TIMINGS, DockerEngine
from .harness import STANDIN_ADDRESS, Materialised, materialise, read_stack
from .npm_nginx import NPM_TAG, import_npm_nginx_image
from .npm_stack import (
    STAGING,
    files_tar,
    install_npm_files,
    npm_files,
    plan_staging,
    proxy_host_rows,
)
from .redeploy import (
    client_loop,
    loop_results,
    provider_replace,
    removed_at_end,
    wait_answering,
)
from .test_traefik_edge import client

pytestmark = pytest.mark.docker


@dataclass
class NpmEdge:
    engine: DockerEngine
    m: Materialised
    images: dict[str, str]
    extra: list[str]  # containers the test created (removed at the end)
    control: str  # the address of the control nginx (the host as rendered before)


def https(host: str = STAGING.host, path: str = "/", **extra: Any) -> dict[str, Any]:
    return {"address": STANDIN_ADDRESS, "port": 443, "host": host, "path": path, **extra}


def get(edge: NpmEdge, path: str = "/", **extra: Any) -> dict[str, Any]:
    return client(edge.engine.ns_argv(), op="get", **https(path=path, **extra))


def control_row(row: dict[str, Any]) -> dict[str, Any]:
    """The app host as the program sent it before: the location's forward host the service's
    alias itself (the stack file's service name), no advanced config anywhere."""
    control = copy.deepcopy(row)
    control["advanced_config"] = ""
    for location in control["locations"]:
        location.update(forward_host=STAGING.path_service, advanced_config="")
    return control


def start_control(
    engine: DockerEngine, m: Materialised, image: str, row: dict[str, Any]
) -> tuple[str, str]:
    """A second NPM nginx serving ``row`` alone, on NPM's network: its address there, its id."""
    api = engine.api
    network = next(iter(api.inspect_container(m.ids["npm"])["NetworkSettings"]["Networks"]))
    container = api.create_container(
        image,
        networking_config=api.create_networking_config({network: api.create_endpoint_config()}),
        host_config=api.create_host_config(network_mode=network),
    )
    api.put_archive(container["Id"], "/", files_tar(npm_files({STAGING.host: row})))
    api.start(container["Id"])
    nets = api.inspect_container(container["Id"])["NetworkSettings"]["Networks"]
    return str(nets[network]["IPAddress"]), str(container["Id"])


@pytest.fixture(scope="module")
def npm_edge(
    docker_engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NpmEdge]:
    engine = docker_engine
    t0 = time.monotonic()
    images = {
        "npm": import_npm_nginx_image(engine),
        "v1": import_echo_image(engine, "v1"),
        "v2": import_echo_image(engine, "v2"),
        "broken": import_echo_image(engine, "broken", healthy=False),
    }
    resources = plan_staging(tmp_path_factory.mktemp("staging"))
    stack = read_stack(resources)
    row = proxy_host_rows(resources)[STAGING.host]
    install_npm_files(engine, stack, npm_files({STAGING.host: row}), images["v1"])
    engine.add_address(STANDIN_ADDRESS)
    own = {"npm": images["npm"], STAGING.root_service: images["v1"]}
    own[STAGING.path_service] = images["v1"]
    extra: list[str] = []
    with materialise(engine, stack, images=own) as m:
        address, control = start_control(engine, m, images["npm"], control_row(row))
        extra.append(control)
        edge = NpmEdge(engine, m, images, extra, address)
        wait_answering(engine, m.ids["npm"], lambda: get(edge))
        TIMINGS.append(f"npm edge stack up in {time.monotonic() - t0:.1f}s")
        try:
            with removed_at_end(engine, extra):
                yield edge
        finally:
            npm = next(c for c in stack.containers if c.node == "npm")
            for volume in npm.volumes:
                with contextlib.suppress(docker.errors.APIError):
                    engine.api.remove_volume(str(volume.volume_name), force=True)


def _workers(edge: NpmEdge) -> set[str]:
    top = edge.engine.api.top(edge.m.ids["npm"], ps_args="-o pid,args")
    return {row[0] for row in top["Processes"] if "worker process" in row[-1]}


def test_the_app_hosts_routes_are_served_over_https(npm_edge: NpmEdge) -> None:
    root, api = get(npm_edge), get(npm_edge, STAGING.path)
    assert (root["status"], root["body"]) == (200, f"{STAGING.root_service} v1\n")
    assert (api["status"], api["body"]) == (200, f"{STAGING.path_service} v1\n")
    for answer in (root, api):
        assert answer["headers"]["strict-transport-security"].startswith("max-age=")
    plain = get(npm_edge, STAGING.path, port=80, tls=False)
    assert plain["status"] == 301
    assert plain["headers"]["location"] == f"https://{STAGING.host}{STAGING.path}"


def _error_log(edge: NpmEdge) -> str:
    """The last lines of NPM's error logs (nginx.conf's fallback, proxy_host.conf's per host)."""
    api, cid = edge.engine.api, edge.m.ids["npm"]
    run = api.exec_create(cid, ["sh", "-c", "cat /data/logs/*error.log"])
    lines = api.exec_start(run["Id"]).decode(errors="replace").splitlines()
    return "\n".join(lines[-40:])


def _control(edge: NpmEdge) -> tuple[int, str]:
    """The control's answer at the path route: its status and page title."""
    answer = get(edge, STAGING.path, address=edge.control)
    return answer["status"], answer["body"].partition("<h1>")[2].partition("</h1>")[0][4:]


def _swap(edge: NpmEdge, service: str, path: str, image: str) -> tuple[list[list[Any]], float]:
    loop = client_loop(edge.engine, https(path=path), 10)
    time.sleep(2)
    assert provider_replace(edge.engine, edge.m, edge.extra, service, image) is True
    removed_at = time.time()
    return loop_results(loop), removed_at


def test_zero_downtime_redeploys_of_a_path_route_and_of_the_root(npm_edge: NpmEdge) -> None:
    edge, api = npm_edge, npm_edge.engine.api
    workers = _workers(edge)
    assert workers, "no nginx worker process"
    for service, path in ((STAGING.path_service, STAGING.path), (STAGING.root_service, "/")):
        old = edge.m.ids[service]
        t0 = time.monotonic()
        results, removed_at = _swap(edge, service, path, edge.images["v2"])
        failed = [r for r in results if r[1] != 200]
        slowest = max(r[3] for r in results)
        TIMINGS.append(
            f"npm zero-downtime swap of {service} in {time.monotonic() - t0:.1f}s: "
            f"{len(results)} requests, {len(failed)} failed, slowest {slowest:.2f}s"
        )
        assert failed == [], (failed[:3], _error_log(edge))
        assert {r[2] for r in results} == {f"{service} v1", f"{service} v2"}
        assert {r[2] for r in results if r[0] > removed_at} == {f"{service} v2"}
        with pytest.raises(docker.errors.NotFound):
            api.inspect_container(old)
        if service == STAGING.path_service:
            # The control: the literal location still points at the gone container.
            assert _control(edge) == (502, "Bad Gateway")
    # Followed without a reload: the same worker processes.
    assert _workers(edge) == workers


def test_a_failed_redeploy_leaves_the_old_container_serving(npm_edge: NpmEdge) -> None:
    edge, api = npm_edge, npm_edge.engine.api
    service = STAGING.path_service
    serving = edge.m.ids[service]
    current = get(edge, STAGING.path)["body"].strip()
    loop = client_loop(edge.engine, https(path=STAGING.path), 8)
    time.sleep(1)
    before = len(edge.extra)
    replaced = provider_replace(edge.engine, edge.m, edge.extra, service, edge.images["broken"])
    assert replaced is False
    (broken,) = edge.extra[before:]
    results = loop_results(loop)
    assert [r for r in results if r[1] != 200] == []
    assert edge.m.ids[service] == serving
    assert api.inspect_container(serving)["State"]["Running"] is True
    # NPM knows no health either: the failed container, left running by the provider under the
    # alias, gets a share of requests until the next `up` replaces it (as with plain Nginx).
    assert {r[2] for r in results} == {current, f"{service} broken"}
    api.remove_container(broken, force=True)
    time.sleep(2)  # past resolver valid=1s
    assert {get(edge, STAGING.path)["body"] for _ in range(6)} == {f"{current}\n"}


def _npm_stacks() -> list[str]:
    """The repository's stacks whose proxy is NPM (from the stack files)."""
    return [
        stack
        for stack in STACKS
        if yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        .get("platform:proxy", {})
        .get("kind")
        == "nginx-proxy-manager"
    ]


@pytest.mark.parametrize("stack", _npm_stacks())
def test_every_proxy_host_of_the_stack_loads_in_npms_nginx(
    docker_engine: DockerEngine, stack: str
) -> None:
    """``nginx -t`` over NPM's nginx.conf with every proxy host of the stack, rendered by NPM,
    in a container with no network: a name nginx had to resolve when it loads (a literal
    upstream) would fail it, so every upstream is resolved per request."""
    engine, api = docker_engine, docker_engine.api
    pinned = _npm_image(stack).rpartition(":")[2]
    assert pinned == NPM_TAG, f"{stack} pins NPM {pinned}: transcribe its files (npm_templates)"
    image = import_npm_nginx_image(engine)
    rows = proxy_host_rows(plan_stack(ROOT, stack).resources)
    assert {r["domain_names"][0] for r in rows.values()} == _route_hosts(stack)
    container = api.create_container(
        image, command=["nginx", "-t"], host_config=api.create_host_config(network_mode="none")
    )
    try:
        api.put_archive(container["Id"], "/", files_tar(npm_files(rows)))
        api.start(container["Id"])
        status = api.wait(container["Id"], timeout=60)["StatusCode"]
        logs = api.logs(container["Id"], stdout=True, stderr=True).decode()
    finally:
        api.remove_container(container["Id"], force=True)
    assert status == 0, logs
    assert "test is successful" in logs


def _npm_image(stack: str) -> str:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return str(config["platform:services"][config["platform:proxy"]["service"]]["image"])


def _route_hosts(stack: str) -> set[str]:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    hosts = {
        e["host"]
        for service in config["platform:services"].values()
        for e in service.get("expose", [])
        if e["kind"] == "route"
    }
    grafana = config.get("platform:monitoring", {}).get("grafana")
    return hosts | ({grafana["host"]} if grafana else set())
