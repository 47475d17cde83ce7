"""A zero-downtime redeploy replayed as pulumi-docker runs it, and the client loop that watches
it through a proxy: shared by the proxy kinds' edge tests (tests/docker/test_traefik_edge.py,
tests/docker/test_nginx_edge.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker.errors

from .engine import DockerEngine
from .harness import Materialised, _create_container

CLIENT = Path(__file__).with_name("edge_client.py")


def provider_replace(
    engine: DockerEngine, m: Materialised, extra: list[str], node: str, image: str
) -> bool:
    """A create-before-delete replacement as Pulumi runs it with pulumi-docker (kreuzwerker
    terraform-provider-docker v4.5.0, internal/provider/resource_docker_container_funcs.go):

    1. create the new container from the recorded inputs, under a new name (autonamed: the
       old one still holds its name): ContainerCreate (:456), the uploads (CopyToContainer,
       :578), ContainerStart (:586);
    2. ``wait``: inspect once a second until the health status is healthy, bounded by
       ``wait_timeout`` (:590-621); past it the create fails with "container failed to be in
       healthy state", and Pulumi, whose replacement deletes the old resource only after the
       new one was created, keeps the old one;
    3. delete the old: ContainerStop with ``destroy_grace_seconds`` as its timeout (:1086-1093),
       then ContainerRemove with force (:1106).

    The new container's id goes into ``extra`` (removed at the end of the test) and, once it
    replaced the old one, into ``m.ids``. Returns whether the replacement went through.
    """
    api = engine.api
    old = next(c for c in m.stack.containers if c.node == node)
    assert old.wait_timeout, f"{node} is recorded without wait"
    cid = create_beside(engine, m, extra, node, image)
    deadline = time.monotonic() + old.wait_timeout
    while api.inspect_container(cid)["State"]["Health"]["Status"] != "healthy":
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    api.stop(m.ids[node], timeout=old.stop_grace)
    api.remove_container(m.ids[node], force=True)
    m.ids[node] = cid
    return True


def create_beside(
    engine: DockerEngine, m: Materialised, extra: list[str], node: str, image: str, **changes: Any
) -> str:
    """Start a second container of ``node`` from its recorded inputs (labels, networks, env),
    under a new name, from ``image``, with ``changes`` to the record (e.g. ``healthcheck``);
    its id goes into ``extra`` (removed at the end of the test)."""
    recorded = next(c for c in m.stack.containers if c.node == node)
    new = dataclasses.replace(recorded, name=f"{recorded.name}-{secrets.token_hex(4)}", **changes)
    created: list[str] = []
    try:
        return _create_container(engine, new, created, image)
    finally:
        extra.extend(created)


def client_loop(
    engine: DockerEngine, request: dict[str, Any], seconds: float
) -> subprocess.Popen[str]:
    """Start edge_client.py's ``loop`` (a new connection and a GET every 50 ms) in the engine's
    namespace; ``loop_results`` collects it."""
    loop = {**request, "op": "loop", "seconds": seconds, "interval": 0.05}
    return subprocess.Popen(
        [*engine.ns_argv(), sys.executable, str(CLIENT), json.dumps(loop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def loop_results(proc: subprocess.Popen[str]) -> list[list[Any]]:
    """[started, status, body, seconds] per request (status 0: an error, its text as body)."""
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    results: list[list[Any]] = json.loads(out)["results"]
    return results


def wait_answering(
    engine: DockerEngine, proxy: str, answer: Callable[[], dict[str, Any]], seconds: float = 30
) -> None:
    """Until ``answer()`` (a request through the proxy container ``proxy``) is a 200; its logs
    in the failure."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if answer()["status"] == 200:
                return
        except ConnectionError:
            pass
        if time.monotonic() > deadline:
            logs = engine.api.logs(proxy, stdout=True, stderr=True).decode()
            raise AssertionError(f"the proxy never answered 200:\n{logs[-2000:]}")
        time.sleep(0.5)


@contextlib.contextmanager
def removed_at_end(engine: DockerEngine, extra: list[str]) -> Iterator[None]:
    """Remove the containers the test created (``extra``, filled meanwhile) on exit."""
    try:
        yield
    finally:
        for cid in extra:
            with contextlib.suppress(docker.errors.NotFound):
                engine.api.remove_container(cid, force=True)
