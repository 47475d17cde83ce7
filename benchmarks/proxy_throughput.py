"""Benchmark: requests/s and p99 latency through each proxy kind's rendered config, next to the
same proxy with a minimal hand-written config for the same route, and next to the backend
directly. Not a test.

Run as root: `.venv/bin/python benchmarks/proxy_throughput.py [--kind nginx|traefik] [--rounds N]
[--seconds S] [--minimal-with headers|retry|retry-no-interval|static|labels|docker|container
...]` (needs `wrk`: `apt-get install wrk`, and the Docker engine tests' packages).

One run builds one world per kind in the tests' Docker engine (tests/docker/engine.py) and
loads each target in turn with wrk from the engine's namespace, rounds interleaved (rendered
and minimal at the same time, then minimal against itself, then the backend) so that the
machine's noise falls on all of them alike. The printed ratio is the median over rounds of
rendered / minimal requests per second (target: >= 0.95x); the backend alone is reported, as
what the proxy costs at all. Each proxy's CPU time per request (its container's cgroup, read
from the engine before and after a load) is printed too: on a machine shared with other work
the rates swing with the scheduler, the CPU a request costs much less.

Proxies under test are a small registry (``KINDS``): an entry starts its world and yields the
three targets.

- Traefik: the edge stack of the tests (tests/docker/edge_stack.py) planned by the program,
  its Traefik container running the real binary on the rendered static config with the plan's
  labels on the echo backend (the route `edge.example.test` `/`: security headers and retry
  middlewares, HTTPS on `websecure`), and a second Traefik on the same network with a
  hand-written static config and a file-provider route to the same backend (HTTPS, the same
  default certificate, no middleware). ``--minimal-with`` adds parts of the rendered side to
  the minimal one, to attribute the cost (the ratio is then not the target's): one of the
  rendered routers' middlewares, the rendered static config, every rendered route transcribed
  from the labels to the file provider, the rendered config itself (its Docker provider), the
  rendered container's settings (see ``MINIMAL_WITH_CHOICES``).
- Nginx: jupiter-minimal's nginx service (tests/docker/nginx_stack.py) planned by the program,
  its container running Debian's nginx (an image built here, tests/docker/nginx.py) on the
  rendered files with a certificate on its volume, in front of the echo web app at `/` of
  `app.jupiter.example.com`; and a second nginx of the same image whose conf.d holds only a
  hand-written TLS server with one `proxy_pass http://web:3000`. The rendered config refuses a
  TLS handshake for an unknown name, so wrk connects by that name (resolved for wrk alone).

Both proxies are reached at their address on the proxy network over HTTPS with keep-alive; the
backend (busybox httpd, one process per connection) at its own address over HTTP.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.render.traefik import STATIC_CONFIG_PATH  # noqa: E402
from tests.docker.echo import ECHO_PORT, import_echo_image  # noqa: E402
from tests.docker.edge_stack import EDGE, plan_edge  # noqa: E402
from tests.docker.engine import DockerEngine, start_engine, stop_engine  # noqa: E402
from tests.docker.harness import (  # noqa: E402
    DOCKER_SOCKET,
    ContainerDecl,
    docker_healthcheck,
    materialise,
    read_stack,
)
from tests.docker.nginx import import_nginx_image  # noqa: E402
from tests.docker.nginx_stack import (  # noqa: E402
    JUPITER,
    LETSENCRYPT,
    install_certificate,
    letsencrypt_volume,
    plan_jupiter,
)
from tests.docker.traefik import import_traefik_image  # noqa: E402

NETWORK = "web"  # the Traefik edge stack's proxy network
EDGE_RESOLVER = "letsencrypt"  # hub's certResolver (the kind's default)
NETWORK_NGINX = "jupiter"  # jupiter-minimal's
CONNECTIONS = 4
THREADS = 2
LETSENCRYPT_ACME = "https://acme-v02.api.letsencrypt.org/directory"


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    host: str  # the Host header
    # With an address, ``url`` names ``host`` (TLS SNI: the rendered nginx refuses a handshake
    # for any other name) and the name is resolved to this address for the client alone.
    address: str | None = None
    # The proxy's container: its cgroup's CPU time over a load gives the CPU per request.
    container: str | None = None


@dataclass(frozen=True)
class World:
    rendered: Target
    minimal: Target
    backend: Target


@dataclass(frozen=True)
class ProxyUnderTest:
    kind: str
    world: Callable[[DockerEngine, Path], AbstractContextManager[World]]


# ---- Traefik ---------------------------------------------------------------------------------

_MINIMAL_STATIC = """entryPoints:
  websecure:
    address: ":443"
providers:
  file:
    filename: /etc/traefik/dynamic.yml
"""

_MINIMAL_DYNAMIC = """http:
  routers:
    web:
      rule: "Host(`{host}`)"
      entryPoints: [websecure]
      tls: {{}}
      service: web
  services:
    web:
      loadBalancer:
        servers:
          - url: "http://{backend}:{port}"
"""


def _files_tar(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, text in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    return buf.getvalue()


# Middlewares that can be added to the minimal side (``--minimal-with``), to attribute the
# rendered config's cost to each of its middlewares: the same settings the rendered routers get
# (components/proxies/traefik.py). The redirect is not one: it lives on the HTTP entrypoint,
# which the benchmark's HTTPS requests never pass.
def _minimal_middlewares(names: tuple[str, ...]) -> dict[str, dict[str, object]]:
    from components.proxies.traefik import (  # noqa: PLC0415
        RETRY_ATTEMPTS,
        RETRY_INITIAL_INTERVAL,
        RETRY_MAX_BODY_BYTES,
        RETRY_STATUS,
        SECURITY_HEADERS,
    )

    # The headers middleware's keys in the file provider's camelCase.
    headers = {
        "stsSeconds": int(SECURITY_HEADERS["stsseconds"]),
        "stsIncludeSubdomains": True,
        "contentTypeNosniff": True,
        "frameDeny": True,
        "referrerPolicy": SECURITY_HEADERS["referrerpolicy"],
    }
    retry = {
        "attempts": RETRY_ATTEMPTS,
        "status": RETRY_STATUS.split(","),
        "maxRequestBodyBytes": RETRY_MAX_BODY_BYTES,
    }
    known: dict[str, dict[str, object]] = {
        "headers": {"headers": headers},
        "retry": {"retry": {**retry, "initialInterval": RETRY_INITIAL_INTERVAL}},
        "retry-no-interval": {"retry": retry},
    }
    return {name: known[name] for name in names if name in known}


# What ``--minimal-with`` can add to the minimal side besides one middleware, each a step from
# the hand-written config towards the rendered Traefik:
# - ``static``: the rendered traefik.yml from the plan (entrypoints with the HTTP redirect, the
#   ACME resolver, which the route then names, ping, the serversTransport's dialTimeout) with
#   the file provider in place of the Docker provider.
# - ``labels``: the file provider's routes are the plan's Traefik labels of every routed
#   container transcribed (``_labels_as_file``): the edge stack's four routers on the
#   entrypoint, each with its middlewares, in place of the one hand-written route.
# - ``docker``: the rendered traefik.yml unchanged, its Docker provider reading the same labels
#   from the same engine: the rendered config itself (an A/A of the config).
# - ``container``: the rendered Traefik container's settings besides its config (capabilities,
#   security options, healthcheck, environment, volumes; the harness gives neither container
#   cgroup limits), so that what remains between the two sides is config alone.
MIDDLEWARE_CHOICES = ("headers", "retry", "retry-no-interval")
MINIMAL_WITH_CHOICES = (*MIDDLEWARE_CHOICES, "static", "labels", "docker", "container")
MINIMAL_WITH: tuple[str, ...] = ()  # set by --minimal-with

# Label keys whose value is a list (the Docker provider splits them on commas).
_LIST_KEYS = {"entrypoints", "middlewares", "sourcerange", "status", "users"}


def _labels_as_file(containers: list[ContainerDecl], addresses: dict[str, str]) -> dict[str, Any]:
    """The file provider's ``http`` section holding what the Docker provider reads from these
    containers' ``traefik.http.*`` labels: routers and middlewares key by key (Traefik decodes
    labels and files with the same case-insensitive decoder, traefik/paerser), and each
    service's ``loadbalancer.server.port`` as the URL of the container's address on the
    proxy network, which is what the Docker provider makes of it."""
    http: dict[str, Any] = {}
    for c in containers:
        for key, value in c.labels:
            parts = key.split(".")
            if parts[:2] != ["traefik", "http"]:
                continue
            if parts[2] == "services":
                url = f"http://{addresses[c.node]}:{value}"
                servers = {"loadBalancer": {"servers": [{"url": url}]}}
                http.setdefault("services", {})[parts[3]] = servers
                continue
            node = http
            for part in parts[2:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value.split(",") if parts[-1] in _LIST_KEYS else value
    return http


@dataclass(frozen=True)
class RenderedTraefik:
    """What the minimal side can take from the rendered one."""

    static: str  # the rendered traefik.yml
    container: ContainerDecl  # the rendered Traefik's container
    routed: list[ContainerDecl]  # the containers carrying its routes' labels
    addresses: dict[str, str]  # node -> address on the proxy network


def _minimal_files(rendered: RenderedTraefik, backend: str) -> dict[str, str]:
    """traefik.yml and dynamic.yml of the minimal side, as ``MINIMAL_WITH`` asks."""
    if "docker" in MINIMAL_WITH:
        static = yaml.safe_load(rendered.static)
        document: dict[str, Any] = {}
    else:
        dynamic = _MINIMAL_DYNAMIC.format(host=EDGE.host, backend=backend, port=ECHO_PORT)
        document = yaml.safe_load(dynamic)
        middlewares = tuple(name for name in MINIMAL_WITH if name in MIDDLEWARE_CHOICES)
        if middlewares:
            document["http"]["middlewares"] = _minimal_middlewares(middlewares)
            document["http"]["routers"]["web"]["middlewares"] = list(middlewares)
        if "labels" in MINIMAL_WITH:
            document = {"http": _labels_as_file(rendered.routed, rendered.addresses)}
        static = yaml.safe_load(_MINIMAL_STATIC)
        if "static" in MINIMAL_WITH:
            providers = static["providers"]
            static = yaml.safe_load(rendered.static)
            static["providers"] = providers
            if "labels" not in MINIMAL_WITH:
                document["http"]["routers"]["web"]["tls"] = {"certResolver": EDGE_RESOLVER}
    if "container" not in MINIMAL_WITH and "certificatesResolvers" in static:
        # No volume at the storage's directory without the container's settings.
        static["certificatesResolvers"][EDGE_RESOLVER]["acme"]["storage"] = "/tmp/acme.json"
    files = {"etc/traefik/traefik.yml": yaml.safe_dump(static)}
    if document:
        files["etc/traefik/dynamic.yml"] = yaml.safe_dump(document)
    return files


def _minimal_container_settings(
    engine: DockerEngine, rendered: ContainerDecl, volumes: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Host config and create arguments that give the minimal Traefik what the harness gives
    the rendered one besides its config (tests/docker/harness.py ``_create_container``); named
    volumes are the minimal side's own (``volumes`` collects them for removal)."""
    if "container" not in MINIMAL_WITH:
        # The Docker provider needs the engine's socket, as the rendered container has it.
        socket = [f"{engine.socket}:{DOCKER_SOCKET}:ro"] if "docker" in MINIMAL_WITH else []
        return {"binds": socket or None}, {}
    binds = []
    for volume in rendered.volumes:
        mode = "ro" if volume.read_only else "rw"
        if volume.host_path == DOCKER_SOCKET:
            binds.append(f"{engine.socket}:{volume.container_path}:{mode}")
        else:
            name = f"bench-minimal-{volume.volume_name}"
            volumes.append(name)
            binds.append(f"{name}:{volume.container_path}:{mode}")
    host = {
        "binds": binds or None,
        "cap_add": list(rendered.cap_add) or None,
        "cap_drop": list(rendered.cap_drop) or None,
        "security_opt": list(rendered.security_opts) or None,
    }
    create = {
        "environment": list(rendered.env) or None,
        "healthcheck": docker_healthcheck(rendered.healthcheck),
    }
    return host, create


@contextlib.contextmanager
def _minimal_traefik(
    engine: DockerEngine, image: str, backend: str, rendered: RenderedTraefik
) -> Iterator[tuple[str, str]]:
    api = engine.api
    volumes: list[str] = []
    host, create = _minimal_container_settings(engine, rendered.container, volumes)
    config = api.create_host_config(network_mode=NETWORK, **host)
    container = api.create_container(
        image, host_config=config, name="bench-minimal-traefik", **create
    )
    cid = str(container["Id"])
    try:
        api.put_archive(cid, "/", _files_tar(_minimal_files(rendered, backend)))
        api.start(cid)
        address = api.inspect_container(cid)["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
        yield address, cid
    finally:
        api.remove_container(cid, force=True)
        for name in volumes:
            with contextlib.suppress(Exception):
                api.remove_volume(name, force=True)


@contextlib.contextmanager
def traefik_world(engine: DockerEngine, workdir: Path) -> Iterator[World]:
    traefik = import_traefik_image(engine)
    echo = import_echo_image(engine, "v1")
    stack = read_stack(plan_edge(workdir, LETSENCRYPT_ACME, None))
    images = {"traefik": traefik, "edge-web": echo, "edge-api": echo}
    with materialise(engine, stack, images=images) as m:
        backend = m.addresses["edge-web"][NETWORK]
        proxy = next(c for c in stack.containers if c.node == "traefik")
        static = next(u.content.decode() for u in proxy.uploads if u.file == STATIC_CONFIG_PATH)
        rendered_side = RenderedTraefik(
            static=static,
            container=proxy,
            routed=[c for c in stack.containers if c.node != "traefik"],
            addresses={c.node: m.addresses[c.node][NETWORK] for c in stack.containers},
        )
        with _minimal_traefik(engine, traefik, backend, rendered_side) as (minimal, minimal_id):
            rendered = f"https://{m.addresses['traefik'][NETWORK]}/"
            world = World(
                rendered=Target("rendered", rendered, EDGE.host, container=m.ids["traefik"]),
                minimal=Target("minimal", f"https://{minimal}/", EDGE.host, container=minimal_id),
                backend=Target("backend", f"http://{backend}:{ECHO_PORT}/", EDGE.host),
            )
            for target in (world.rendered, world.minimal, world.backend):
                _wait_200(engine, target)
            if {"labels", "docker"} & set(MINIMAL_WITH):
                _same_routes(engine, world)
            yield world


def _same_routes(engine: DockerEngine, world: World) -> None:
    """The minimal side carries the rendered routes: each of the edge stack's other routes
    answers it as it answers the rendered side (basic auth's 401, the allow-list's 403 from the
    engine's namespace, the API path's 200), so the transcription left none out."""
    routes = {
        EDGE.admin_host: "/",
        EDGE.ops_host: "/",
        EDGE.host: f"{EDGE.api_path}/",
    }
    for host, path in routes.items():
        codes = [
            _status(engine, dataclasses.replace(t, url=t.url.rstrip("/") + path, host=host))
            for t in (world.rendered, world.minimal)
        ]
        if codes[0] != codes[1] or codes[0] == "000":
            raise RuntimeError(f"https://{host}{path}: rendered {codes[0]}, minimal {codes[1]}")


# ---- Nginx -----------------------------------------------------------------------------------

# What one writes by hand for the same route: TLS with the same certificate, one proxy_pass.
_MINIMAL_NGINX = """server {{
    listen 443 ssl;
    server_name {host};
    ssl_certificate {live}/fullchain.pem;
    ssl_certificate_key {live}/privkey.pem;
    location / {{
        proxy_pass http://{backend}:{port};
    }}
}}
"""


@contextlib.contextmanager
def _minimal_nginx(engine: DockerEngine, image: str, volume: str) -> Iterator[tuple[str, str]]:
    api = engine.api
    config = api.create_host_config(
        network_mode=NETWORK_NGINX, binds=[f"{volume}:{LETSENCRYPT}:ro"]
    )
    container = api.create_container(image, host_config=config, name="bench-minimal-nginx")
    cid = str(container["Id"])
    try:
        text = _MINIMAL_NGINX.format(
            host=JUPITER.host,
            live=f"{LETSENCRYPT}/live/{JUPITER.host}",
            backend="web",
            port=JUPITER.web_port,
        )
        api.put_archive(cid, "/", _files_tar({"etc/nginx/conf.d/default.conf": text}))
        api.start(cid)
        info = api.inspect_container(cid)["NetworkSettings"]["Networks"][NETWORK_NGINX]
        yield str(info["IPAddress"]), cid
    finally:
        api.remove_container(cid, force=True)


@contextlib.contextmanager
def nginx_world(engine: DockerEngine, workdir: Path) -> Iterator[World]:
    nginx = import_nginx_image(engine)
    echo = import_echo_image(engine, "v1")
    stack = read_stack(plan_jupiter(workdir))
    install_certificate(engine, stack, echo)
    volume = letsencrypt_volume(stack)
    try:
        with materialise(engine, stack, images={"nginx": nginx, "web": echo, "api": echo}) as m:
            backend = m.addresses["web"][NETWORK_NGINX]
            with _minimal_nginx(engine, nginx, volume) as (minimal, minimal_id):
                world = World(
                    rendered=Target(
                        "rendered",
                        f"https://{JUPITER.host}/",
                        JUPITER.host,
                        m.addresses["nginx"][NETWORK_NGINX],
                        m.ids["nginx"],
                    ),
                    minimal=Target(
                        "minimal", f"https://{JUPITER.host}/", JUPITER.host, minimal, minimal_id
                    ),
                    backend=Target(
                        "backend", f"http://{backend}:{JUPITER.web_port}/", JUPITER.host
                    ),
                )
                for target in (world.rendered, world.minimal, world.backend):
                    _wait_200(engine, target)
                yield world
    finally:
        for name in (volume, "acme-webroot"):
            with contextlib.suppress(Exception):
                engine.api.remove_volume(name, force=True)


KINDS: dict[str, ProxyUnderTest] = {
    "nginx": ProxyUnderTest("nginx", nginx_world),
    "traefik": ProxyUnderTest("traefik", traefik_world),
}


# ---- load ------------------------------------------------------------------------------------


def _status(engine: DockerEngine, target: Target) -> str:
    """The HTTP status ``target`` answers a GET with (``000``: no answer)."""
    code = engine.ns_run(
        "curl",
        "-sk",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        f"Host: {target.host}",
        *(["--resolve", f"{target.host}:443:{target.address}"] if target.address else []),
        target.url,
        check=False,
    )
    return str(code).strip()


def _wait_200(engine: DockerEngine, target: Target, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _status(engine, target) == "200":
            return
        time.sleep(0.5)
    raise RuntimeError(f"{target.name} {target.url} does not answer 200")


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p99_ms: float
    errors: int
    requests: int = 0
    cpu_ns: int | None = None  # of the target's container over the load, when it names one


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_argv(engine: DockerEngine, target: Target, seconds: int) -> list[str]:
    wrk = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Host: {target.host}",
        target.url,
    ]
    if target.address is None:
        return engine.ns_argv(*wrk)
    # wrk sends the URL's host as SNI and resolves it with the libc: a hosts file of its own,
    # on a tmpfs bound over /etc/hosts in a mount namespace of wrk's alone (unshare makes its
    # mounts private: the machine's /etc/hosts and /mnt are untouched, and both go with wrk).
    hosts = f"{target.address} {target.host}\n"
    script = (
        'mount -t tmpfs tmpfs /mnt && printf "$1" > /mnt/hosts '
        '&& mount --bind /mnt/hosts /etc/hosts && shift && exec "$@"'
    )
    return engine.ns_argv("unshare", "-m", "sh", "-c", script, "sh", hosts, *wrk)


def _parse(out: str) -> Load:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    count = re.search(r"^\s+(\d+) requests in ", out, re.MULTILINE)
    if rps is None or p99 is None or count is None:
        raise RuntimeError(f"wrk printed no rate, count or p99:\n{out}")
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return Load(
        float(rps.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)], failed, int(count[1])
    )


def _cpu_ns(engine: DockerEngine, container: str) -> int:
    """The container's cgroup CPU time so far (user + system, every process in it)."""
    stats = engine.api.stats(container, stream=False, one_shot=True)
    return int(stats["cpu_stats"]["cpu_usage"]["total_usage"])


def wrk_together(engine: DockerEngine, targets: list[Target], seconds: int) -> list[Load]:
    """Load ``targets`` at the same time, one wrk each: they share the machine's CPUs (and
    the backend) under the same noise, so the ratio of their rates is that of their costs."""
    before = [_cpu_ns(engine, t.container) if t.container else 0 for t in targets]
    procs = [
        subprocess.Popen(_wrk_argv(engine, t, seconds), stdout=subprocess.PIPE, text=True)
        for t in targets
    ]
    outs = [p.communicate(timeout=seconds + 30)[0] for p in procs]
    loads = [_parse(out) for out in outs]
    # CPU time is what each proxy spent, whatever else ran on the machine meanwhile: its ratio
    # is the cost ratio without the scheduling noise the rates carry.
    return [
        dataclasses.replace(load, cpu_ns=_cpu_ns(engine, t.container) - start)
        if t.container
        else load
        for t, load, start in zip(targets, loads, before, strict=True)
    ]


def run_kind(entry: ProxyUnderTest, engine: DockerEngine, rounds: int, seconds: int) -> str:
    with tempfile.TemporaryDirectory() as tmp, entry.world(engine, Path(tmp)) as world:
        wrk_together(engine, [world.rendered, world.minimal], 2)  # warm-up
        pairs: list[list[Load]] = []
        same: list[list[Load]] = []
        backend: list[Load] = []
        idle: list[list[float]] = []  # ns of CPU per second, rendered and minimal, per round
        for index in range(rounds):
            # Alternate which one starts first; the A/A pair shows the method's noise floor.
            order = [world.rendered, world.minimal][:: 1 if index % 2 == 0 else -1]
            loads = wrk_together(engine, order, seconds)
            pairs.append(loads[:: 1 if index % 2 == 0 else -1])
            same.append(wrk_together(engine, [world.minimal, world.minimal], seconds))
            # While only the backend is loaded the proxies idle: what they spend then (a
            # healthcheck's exec, an ACME resolver retrying, timers) is no request's cost.
            proxies = [t.container for t in (world.rendered, world.minimal) if t.container]
            at = [_cpu_ns(engine, c) for c in proxies]
            t0 = time.monotonic()
            backend += wrk_together(engine, [world.backend], seconds)
            spent = time.monotonic() - t0
            idle.append(
                [(_cpu_ns(engine, c) - n) / spent for c, n in zip(proxies, at, strict=True)]
            )
    ratios = [r.requests_per_second / m.requests_per_second for r, m in pairs]
    noise = [a.requests_per_second / b.requests_per_second for a, b in same]
    lines = [
        f"{entry.kind}: {rounds} rounds of {seconds}s, wrk -t{THREADS} -c{CONNECTIONS} each, "
        "rendered and minimal loaded at the same time"
        + (
            f"; minimal with {', '.join(MINIMAL_WITH)}"
            if MINIMAL_WITH and entry.kind == "traefik"
            else ""
        )
    ]
    rows = {"rendered": [p[0] for p in pairs], "minimal": [p[1] for p in pairs]}
    rows["backend"] = backend
    for name, runs in rows.items():
        alone = " (alone)" if name == "backend" else ""
        lines.append(
            f"  {name:<9} {statistics.median(r.requests_per_second for r in runs):9.0f} req/s"
            f"  p99 {statistics.median(r.p99_ms for r in runs):7.2f} ms"
            f"  errors {sum(r.errors for r in runs)}{alone}"
        )
    verdict = "ok" if statistics.median(ratios) >= 0.95 else "BELOW TARGET"
    lines.append(
        f"  rendered / minimal: {statistics.median(ratios):.3f}x (target >= 0.95x: {verdict}); "
        f"per round {', '.join(f'{x:.3f}' for x in ratios)}"
    )
    lines.append(
        f"  minimal / minimal (noise floor): {statistics.median(noise):.3f}x; "
        f"per round {', '.join(f'{x:.3f}' for x in noise)}"
    )
    if all(p[0].cpu_ns is not None and p[1].cpu_ns is not None for p in pairs) and idle:
        lines += _cpu_lines(pairs, idle, seconds)
    return "\n".join(lines)


def _cpu_lines(pairs: list[list[Load]], idle: list[list[float]], seconds: int) -> list[str]:
    """Each proxy's CPU per request, as measured and net of what it spends idle."""
    lines = []
    for label, rate in (("as measured", [0.0, 0.0]), ("net of idle", None)):
        per: dict[str, list[float]] = {"rendered": [], "minimal": []}
        for (r, m), idle_round in zip(pairs, idle, strict=True):
            for name, load, base in (
                ("rendered", r, (rate or idle_round)[0]),
                ("minimal", m, (rate or idle_round)[1]),
            ):
                assert load.cpu_ns is not None
                per[name].append((load.cpu_ns - base * seconds) / 1000 / max(load.requests, 1))
        ratios = [m / r for r, m in zip(per["rendered"], per["minimal"], strict=True)]
        lines.append(
            f"  proxy CPU per request {label}: rendered {statistics.median(per['rendered']):.0f}"
            f" us, minimal {statistics.median(per['minimal']):.0f} us; minimal / rendered "
            f"{statistics.median(ratios):.3f}x; per round " + ", ".join(f"{x:.3f}" for x in ratios)
        )
    idle_r = statistics.median(i[0] for i in idle) / 1e6
    idle_m = statistics.median(i[1] for i in idle) / 1e6
    lines.append(f"  proxy CPU idle: rendered {idle_r:.1f} ms/s, minimal {idle_m:.1f} ms/s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=sorted(KINDS), action="append")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--minimal-with",
        choices=MINIMAL_WITH_CHOICES,
        action="append",
        default=[],
        help="traefik: add this part of the rendered side to the minimal side (a middleware "
        "of the rendered routers, static, labels, docker, container: see MINIMAL_WITH_CHOICES; "
        "to attribute the cost, the reported ratio is then not the target's)",
    )
    args = parser.parse_args()
    chosen = set(args.minimal_with)
    # The labels' routers name the rendered ACME resolver; the healthcheck asks the rendered
    # ping; the Docker provider's config is the rendered one, nothing to add to it.
    if "labels" in chosen and "static" not in chosen:
        parser.error("--minimal-with labels needs --minimal-with static (the resolver it names)")
    if "container" in chosen and not chosen & {"static", "docker"}:
        parser.error("--minimal-with container needs static or docker (its healthcheck pings)")
    if "docker" in chosen and chosen - {"docker", "container"}:
        parser.error("--minimal-with docker is the rendered config: only container goes with it")
    global MINIMAL_WITH  # noqa: PLW0603 -- one run, one setting
    MINIMAL_WITH = tuple(args.minimal_with)
    for tool in ("wrk", "curl"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install {tool}")
    engine = start_engine()
    try:
        for kind in args.kind or sorted(KINDS):
            print(run_kind(KINDS[kind], engine, args.rounds, args.seconds), flush=True)
    finally:
        stop_engine(engine)


if __name__ == "__main__":
    main()
