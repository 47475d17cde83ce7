"""The rendered blackbox.yml, run: Debian's blackbox exporter with the file a real stack plans
(prod's), probing Debian's nginx over HTTPS on loopback. nginx serves the answers a route
gives a prober: a page (an open route), 204 (a health endpoint with no body), 401
(`auth_basic`, a route with users) and 403 (`deny all`, an allow-list that does not name the
prober), and a 502 (a proxy whose backend is gone).

Each module is asked about each answer through the exporter's /probe endpoint, as Prometheus
asks (tests/render/test_prometheus.py checks the scrape config names these modules): the open
routes' module succeeds on the page and 204 only; the guarded module on both, 401 and 403,
never on 502 and never over plain HTTP. The certificate's expiry is reported either way. The
certificate is a self-signed one made by openssl, trusted through SSL_CERT_FILE (Go's
crypto/x509 reads it on Linux)."""

from __future__ import annotations

import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.render.prometheus import BLACKBOX_GUARDED_MODULE, BLACKBOX_MODULE
from tests.monitored_stacks import files_of, monitored_plan
from tests.render.tools import free_port, run, tool

DEADLINE_SECONDS = 20.0
PAGES = ("open", "basic", "denied")


def _nginx_conf(directory: Path, https: int, http: int) -> str:
    return f"""
user root;
daemon off;
error_log stderr;
pid {directory}/nginx.pid;
events {{}}
http {{
    access_log off;
    client_body_temp_path {directory}/tmp;
    server {{
        listen 127.0.0.1:{https} ssl;
        ssl_certificate {directory}/cert.pem;
        ssl_certificate_key {directory}/key.pem;
        root {directory}/www;
        location = /basic {{
            auth_basic "admin";
            auth_basic_user_file {directory}/users;
        }}
        location = /denied {{
            deny all;
        }}
        location = /empty {{
            return 204;
        }}
        location = /gone {{
            proxy_pass http://127.0.0.1:9;
        }}
    }}
    server {{
        listen 127.0.0.1:{http};
        root {directory}/www;
    }}
}}
"""


def _wait(url: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(blackbox exporter URL, nginx https base, nginx http base)."""
    directory = tmp_path_factory.mktemp("blackbox")
    run(
        [
            tool("openssl"),
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=route.example.test",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-days",
            "2",
            "-keyout",
            str(directory / "key.pem"),
            "-out",
            str(directory / "cert.pem"),
        ]
    )
    (directory / "tmp").mkdir()
    www = directory / "www"
    www.mkdir()
    for page in PAGES:
        (www / page).write_text(f"{page}\n")
    (directory / "users").write_text("admin:{PLAIN}not-the-probers\n")
    https, http, exporter = free_port(), free_port(), free_port()
    (directory / "nginx.conf").write_text(_nginx_conf(directory, https, http))
    (config_path, config), *_ = files_of(
        monitored_plan("prod").services["blackbox-exporter"]
    ).items()
    assert config_path.endswith(".yml")
    (directory / "blackbox.yml").write_text(config)
    processes = [
        subprocess.Popen(
            [tool("nginx"), "-p", str(directory), "-c", str(directory / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                tool("prometheus-blackbox-exporter"),
                f"--config.file={directory / 'blackbox.yml'}",
                f"--web.listen-address=127.0.0.1:{exporter}",
            ],
            env={"SSL_CERT_FILE": str(directory / "cert.pem"), "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        _wait(f"http://127.0.0.1:{http}/open")
        _wait(f"http://127.0.0.1:{exporter}/-/healthy")
        yield (
            f"http://127.0.0.1:{exporter}",
            f"https://127.0.0.1:{https}",
            f"http://127.0.0.1:{http}",
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def _probe(exporter: str, module: str, target: str) -> dict[str, float]:
    query = urllib.parse.urlencode({"module": module, "target": target})
    with urllib.request.urlopen(f"{exporter}/probe?{query}", timeout=15) as response:
        text = response.read().decode()
    return {
        name: float(value)
        for name, _, value in (line.partition(" ") for line in text.splitlines())
        if name and not name.startswith("#") and "{" not in name
    }


@pytest.mark.parametrize(
    ("page", "wanted"),
    [
        ("open", {BLACKBOX_MODULE: 1.0, BLACKBOX_GUARDED_MODULE: 1.0}),
        # An allow-listed prober on a route whose backend answers with no content.
        ("empty", {BLACKBOX_MODULE: 1.0, BLACKBOX_GUARDED_MODULE: 1.0}),
        ("basic", {BLACKBOX_MODULE: 0.0, BLACKBOX_GUARDED_MODULE: 1.0}),
        ("denied", {BLACKBOX_MODULE: 0.0, BLACKBOX_GUARDED_MODULE: 1.0}),
        ("gone", {BLACKBOX_MODULE: 0.0, BLACKBOX_GUARDED_MODULE: 0.0}),
    ],
)
def test_each_module_judges_what_a_route_answers(
    endpoints: tuple[str, str, str], page: str, wanted: dict[str, float]
) -> None:
    exporter, https, _ = endpoints
    expected_status = {"open": 200, "empty": 204, "basic": 401, "denied": 403, "gone": 502}[page]
    for module, success in wanted.items():
        metrics = _probe(exporter, module, f"{https}/{page}")
        assert metrics["probe_http_status_code"] == expected_status, (module, metrics)
        assert metrics["probe_success"] == success, (module, page, metrics)
        # The certificate was read whatever the answer: its expiry is what the alert watches.
        assert metrics["probe_ssl_earliest_cert_expiry"] > time.time(), (module, metrics)


def test_neither_module_accepts_plain_http(endpoints: tuple[str, str, str]) -> None:
    exporter, _, http = endpoints
    for module in (BLACKBOX_MODULE, BLACKBOX_GUARDED_MODULE):
        metrics = _probe(exporter, module, f"{http}/open")
        assert metrics["probe_http_status_code"] == 200
        assert metrics["probe_success"] == 0.0, module
