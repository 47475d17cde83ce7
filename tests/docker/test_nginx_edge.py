"""Plain Nginx in front of real backends, as the plan declares it, on the test Docker engine: the
Nginx edge stack (tests/docker/nginx_stack.py: jupiter-minimal's nginx with echo backends on its
routes) planned by the program, its containers, uploads (the rendered config and TLS switch),
volumes and capabilities materialised in the engine, Debian's nginx as an image built here
(tests/docker/nginx.py), Docker's embedded DNS as the resolver nginx is rendered with.

Proven, with the expectations from the stack file (``JUPITER``):
- the route host's certificate, put on the certificates volume before the start as certbot
  would, makes the TLS switch serve phase 2: ``/`` and ``/api`` reach their services over HTTPS;
- a zero-downtime redeploy of the app server, following pulumi-docker's create-before-delete
  step by step (tests/docker/redeploy.py ``provider_replace``), while a client loop sends
  requests through nginx: no failed request, the old container gone, the new version answering
  (nginx not reloaded: the same workers before and after);
- the failure case: a new image that never becomes healthy fails the create, the old one keeps
  serving and the loop sees no failure; but nginx, which knows nothing of health, sends the
  failed container (left running by the provider, holding the alias) a share of requests
  until it is removed: pinned here, stated in README "Redeploys without downtime".
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker.errors
import pytest

from .echo import import_echo_image
from .engine import TIMINGS, DockerEngine
from .harness import STANDIN_ADDRESS, Materialised, materialise, read_stack
from .nginx import import_nginx_image
from .nginx_stack import JUPITER, install_certificate, letsencrypt_volume, plan_jupiter
from .redeploy import (
    client_loop,
    loop_results,
    provider_replace,
    removed_at_end,
    wait_answering,
)
from .test_traefik_edge import client

# The longest a failed redeploy may leave clients without v2 (the one that stays healthy).
MAX_V2_GAP_SECONDS = 3.0

pytestmark = pytest.mark.docker


@dataclass
class NginxEdge:
    engine: DockerEngine
    m: Materialised
    images: dict[str, str]
    extra: list[str]  # containers the test created (removed at the end)


def https(path: str = "/") -> dict[str, Any]:
    return {"address": STANDIN_ADDRESS, "port": 443, "host": JUPITER.host, "path": path}


def get(edge: NginxEdge, path: str = "/") -> dict[str, Any]:
    return client(edge.engine.ns_argv(), op="get", **https(path))


@pytest.fixture(scope="module")
def nginx_edge(
    docker_engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NginxEdge]:
    engine = docker_engine
    t0 = time.monotonic()
    images = {
        "nginx": import_nginx_image(engine),
        "v1": import_echo_image(engine, "v1"),
        "v2": import_echo_image(engine, "v2"),
        "broken": import_echo_image(engine, "broken", healthy=False),
    }
    stack = read_stack(plan_jupiter(tmp_path_factory.mktemp("jupiter")))
    for volume in {letsencrypt_volume(stack), "acme-webroot"}:
        with contextlib.suppress(docker.errors.NotFound):
            engine.api.remove_volume(volume, force=True)
    install_certificate(engine, stack, images["v1"])
    engine.add_address(STANDIN_ADDRESS)
    own = {"nginx": images["nginx"], "web": images["v1"], "api": images["v1"]}
    extra: list[str] = []
    with materialise(engine, stack, images=own) as m:
        edge = NginxEdge(engine, m, images, extra)
        wait_answering(engine, m.ids["nginx"], lambda: get(edge))
        TIMINGS.append(f"nginx edge stack up in {time.monotonic() - t0:.1f}s")
        try:
            with removed_at_end(engine, extra):
                yield edge
        finally:
            for volume in ("letsencrypt", "acme-webroot"):
                with contextlib.suppress(docker.errors.APIError):
                    engine.api.remove_volume(volume, force=True)


def _workers(edge: NginxEdge) -> set[str]:
    top = edge.engine.api.top(edge.m.ids["nginx"], ps_args="-o pid,args")
    return {row[0] for row in top["Processes"] if "worker process" in row[-1]}


def test_routes_served_over_tls_with_the_certificate_on_the_volume(nginx_edge: NginxEdge) -> None:
    root, api = get(nginx_edge), get(nginx_edge, JUPITER.api_path)
    assert (root["status"], root["body"]) == (200, "web v1\n")
    assert (api["status"], api["body"]) == (200, "api v1\n")
    assert root["headers"].get("strict-transport-security", "").startswith("max-age=")


def test_zero_downtime_redeploy_and_a_failed_one(nginx_edge: NginxEdge) -> None:
    edge, api = nginx_edge, nginx_edge.engine.api
    old = edge.m.ids["api"]
    workers = _workers(edge)
    assert workers, "no nginx worker process"
    t0 = time.monotonic()
    loop = client_loop(edge.engine, https(JUPITER.api_path), 12)
    time.sleep(2)
    assert provider_replace(edge.engine, edge.m, edge.extra, "api", edge.images["v2"]) is True
    removed_at = time.time()
    swapped = time.monotonic() - t0
    results = loop_results(loop)
    failed = [r for r in results if r[1] != 200]
    slowest = max(r[3] for r in results)
    TIMINGS.append(
        f"nginx zero-downtime swap in {swapped:.1f}s: {len(results)} requests, "
        f"{len(failed)} failed, slowest {slowest:.2f}s"
    )
    assert failed == [], failed[:10]
    assert {r[2] for r in results} == {"api v1", "api v2"}
    after = {r[2] for r in results if r[0] > removed_at}
    assert after == {"api v2"}, after
    with pytest.raises(docker.errors.NotFound):
        api.inspect_container(old)
    # Followed without a reload: the same worker processes.
    assert _workers(edge) == workers

    # The failure case: the new image never becomes healthy.
    loop = client_loop(edge.engine, https(JUPITER.api_path), 9)
    time.sleep(1)
    assert provider_replace(edge.engine, edge.m, edge.extra, "api", edge.images["broken"]) is False
    results = loop_results(loop)
    failed = [r for r in results if r[1] != 200]
    assert failed == [], failed[:10]
    assert api.inspect_container(edge.m.ids["api"])["State"]["Running"] is True
    # v2 kept answering the whole time: from the loop's start to its end, no stretch of more
    # than MAX_V2_GAP_SECONDS without a v2 answer (round robin with the failed container sends
    # it about half the requests, so on a loaded machine one second may hold none of v2's) ...
    v2 = sorted(r[0] for r in results if r[2] == "api v2")
    span = sorted(r[0] for r in results)
    edges = [span[0], *v2, span[-1]]
    assert max(b - a for a, b in itertools.pairwise(edges)) < MAX_V2_GAP_SECONDS, v2
    # ... but nginx does not know health: the failed container, left running by the provider,
    # holds the alias and gets a share of requests (Traefik keeps it out; README "Redeploys
    # without downtime"). Pinned so that statement stays true.
    assert {r[2] for r in results} == {"api v2", "api broken"}
    broken = next(cid for cid in edge.extra if cid not in edge.m.ids.values())
    # The next `up` replaces the failed container; once it is gone, only v2 answers.
    api.remove_container(broken, force=True)
    time.sleep(2)  # past resolver valid=1s
    answers = {get(edge, JUPITER.api_path)["body"] for _ in range(6)}
    assert answers == {"api v2\n"}
