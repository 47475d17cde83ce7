"""Benchmark: requests/s and p99 latency through each proxy kind's rendered config, next to the
same proxy with a minimal hand-written config for the same route, and next to the backend
directly. Not a test.

Run as root: `.venv/bin/python benchmarks/proxy_throughput.py [--kind traefik] [--rounds N]
[--seconds S]` (needs `wrk`: `apt-get install wrk`, and the Docker engine tests' packages).

One run builds one world per kind in the tests' Docker engine (tests/docker/engine.py) and
loads each target in turn with wrk from the engine's namespace, rounds interleaved (rendered,
minimal, backend, rendered, ...) so that the machine's noise falls on all of them alike. The
printed ratio is the median over rounds of rendered / minimal requests per second (target:
>= 0.95x); the backend alone is reported, as what the proxy costs at all.

Proxies under test are a small registry (``KINDS``): an entry starts its world and yields the
three targets. Traefik's world: the edge stack of the tests (tests/docker/edge_stack.py)
planned by the program, its Traefik container running the real binary on the rendered static
config with the plan's labels on the echo backend (the route `edge.example.test` `/`: security
headers and retry middlewares, HTTPS on `websecure`), and a second Traefik on the same network
with a hand-written static config and a file-provider route to the same backend (HTTPS, the
same default certificate, no middleware). Both are reached at their address on the proxy
network over HTTPS with keep-alive; the backend (busybox httpd, one process per connection) at
its own address over HTTP.
"""

from __future__ import annotations

import argparse
import contextlib
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.docker.echo import ECHO_PORT, import_echo_image  # noqa: E402
from tests.docker.edge_stack import EDGE, plan_edge  # noqa: E402
from tests.docker.engine import DockerEngine, start_engine, stop_engine  # noqa: E402
from tests.docker.harness import materialise, read_stack  # noqa: E402
from tests.docker.traefik import import_traefik_image  # noqa: E402

NETWORK = "web"
CONNECTIONS = 4
THREADS = 2
LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    host: str  # the Host header


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


@contextlib.contextmanager
def _minimal_traefik(engine: DockerEngine, image: str, backend: str) -> Iterator[str]:
    api = engine.api
    config = api.create_host_config(network_mode=NETWORK)
    container = api.create_container(image, host_config=config, name="bench-minimal-traefik")
    cid = str(container["Id"])
    try:
        dynamic = _MINIMAL_DYNAMIC.format(host=EDGE.host, backend=backend, port=ECHO_PORT)
        files = {"etc/traefik/traefik.yml": _MINIMAL_STATIC, "etc/traefik/dynamic.yml": dynamic}
        api.put_archive(cid, "/", _files_tar(files))
        api.start(cid)
        address = api.inspect_container(cid)["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
        yield address
    finally:
        api.remove_container(cid, force=True)


@contextlib.contextmanager
def traefik_world(engine: DockerEngine, workdir: Path) -> Iterator[World]:
    traefik = import_traefik_image(engine)
    echo = import_echo_image(engine, "v1")
    stack = read_stack(plan_edge(workdir, LETSENCRYPT, None))
    images = {"traefik": traefik, "edge-web": echo, "edge-api": echo}
    with materialise(engine, stack, images=images) as m:
        backend = m.addresses["edge-web"][NETWORK]
        with _minimal_traefik(engine, traefik, backend) as minimal:
            world = World(
                rendered=Target(
                    "rendered", f"https://{m.addresses['traefik'][NETWORK]}/", EDGE.host
                ),
                minimal=Target("minimal", f"https://{minimal}/", EDGE.host),
                backend=Target("backend", f"http://{backend}:{ECHO_PORT}/", EDGE.host),
            )
            for target in (world.rendered, world.minimal, world.backend):
                _wait_200(engine, target)
            yield world


KINDS: dict[str, ProxyUnderTest] = {"traefik": ProxyUnderTest("traefik", traefik_world)}


# ---- load ------------------------------------------------------------------------------------


def _wait_200(engine: DockerEngine, target: Target, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = engine.ns_run(
            "curl",
            "-sk",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            f"Host: {target.host}",
            target.url,
            check=False,
        )
        if code.strip() == "200":
            return
        time.sleep(0.5)
    raise RuntimeError(f"{target.name} {target.url} does not answer 200")


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_argv(engine: DockerEngine, target: Target, seconds: int) -> list[str]:
    return engine.ns_argv(
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Host: {target.host}",
        target.url,
    )


def _parse(out: str) -> Load:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if rps is None or p99 is None:
        raise RuntimeError(f"wrk printed no rate or p99:\n{out}")
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return Load(float(rps.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)], failed)


def wrk_together(engine: DockerEngine, targets: list[Target], seconds: int) -> list[Load]:
    """Load ``targets`` at the same time, one wrk each: they share the machine's CPUs (and
    the backend) under the same noise, so the ratio of their rates is that of their costs."""
    procs = [
        subprocess.Popen(_wrk_argv(engine, t, seconds), stdout=subprocess.PIPE, text=True)
        for t in targets
    ]
    outs = [p.communicate(timeout=seconds + 30)[0] for p in procs]
    return [_parse(out) for out in outs]


def run_kind(entry: ProxyUnderTest, engine: DockerEngine, rounds: int, seconds: int) -> str:
    with tempfile.TemporaryDirectory() as tmp, entry.world(engine, Path(tmp)) as world:
        wrk_together(engine, [world.rendered, world.minimal], 2)  # warm-up
        pairs: list[list[Load]] = []
        same: list[list[Load]] = []
        backend: list[Load] = []
        for index in range(rounds):
            # Alternate which one starts first; the A/A pair shows the method's noise floor.
            order = [world.rendered, world.minimal][:: 1 if index % 2 == 0 else -1]
            loads = wrk_together(engine, order, seconds)
            pairs.append(loads[:: 1 if index % 2 == 0 else -1])
            same.append(wrk_together(engine, [world.minimal, world.minimal], seconds))
            backend += wrk_together(engine, [world.backend], seconds)
    ratios = [r.requests_per_second / m.requests_per_second for r, m in pairs]
    noise = [a.requests_per_second / b.requests_per_second for a, b in same]
    lines = [
        f"{entry.kind}: {rounds} rounds of {seconds}s, wrk -t{THREADS} -c{CONNECTIONS} each, "
        "rendered and minimal loaded at the same time"
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
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=sorted(KINDS), action="append")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
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
