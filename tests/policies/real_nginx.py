"""Debian's nginx started on a site laid out under a test's tmp_path (as /etc/nginx would be)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.tools import require


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(tmp_path: Path, site: Path) -> Iterator[Path]:
    """nginx with a main config whose ``http {}`` includes ``site`` (written by the caller);
    stopped on exit. Yields the file its stderr goes to."""
    (nginx,) = require("nginx")
    root = tmp_path / "etc" / "nginx"
    root.mkdir(parents=True, exist_ok=True)
    temp = tmp_path / "temp"
    temp.mkdir(exist_ok=True)
    # As root, nginx's workers would run as nobody, who cannot enter pytest's private tmp.
    user = "user root;\n" if os.geteuid() == 0 else ""
    # Relative includes resolve against the directory of nginx.conf, as /etc/nginx in the image.
    (root / "nginx.conf").write_text(
        f"{user}daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\nhttp {\n"
        f"    access_log off;\n    client_body_temp_path {temp}/body;\n"
        f"    proxy_temp_path {temp}/proxy;\n    fastcgi_temp_path {temp}/fastcgi;\n"
        f"    uwsgi_temp_path {temp}/uwsgi;\n    scgi_temp_path {temp}/scgi;\n"
        f"    include {site};\n}}\n"
    )
    stderr = tmp_path / "nginx.stderr"
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            [nginx, "-p", str(tmp_path), "-c", str(root / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    try:
        yield stderr
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(port: int, path: str, host: str, **headers: str) -> tuple[int, str]:
    """Status and body of GET ``path`` with ``Host: host`` (and ``headers``, ``_`` for ``-``
    in their names), retried while nginx starts."""
    deadline = time.monotonic() + 10
    sent = {"Host": host, **{k.replace("_", "-"): v for k, v in headers.items()}}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=sent)
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), ""
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
