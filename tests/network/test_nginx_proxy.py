"""The plain Nginx kind's rendered config served by Debian's real nginx, in network namespaces.

Every part is real: nginx (Debian's, 1.22) runs the files components/render/nginx.py renders,
with the TLS switch of components/render/nginx_acme.py choosing each host's phase; backends are
the standard library's HTTP server (tests/network/http_echo.py) in their own namespace; names
are resolved by dnsmasq (the part Docker's embedded DNS plays on a host); clients send from a
third namespace, from an allowed and from an outside address. Let's Encrypt is Debian's pebble
(the ACME test server) and certbot over the real HTTP-01 challenge through the phase-1 config.

Expectations come from the seed (001: the web app at /, the app server at /api, RabbitMQ's
management at /rabbitmq behind authentication), from RFC 6455 (101 and an echoed frame after
the upgrade) and from the ACME CA (the chain verifies against pebble's root).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.render.nginx import (
    HEALTH_PATH,
    HTTP_CONF,
    NginxLocation,
    NginxSettings,
    NginxSite,
    acme_site,
    http_conf,
    site_file,
    tls_site,
    users_file,
    users_path,
)
from components.render.nginx_acme import TlsSwitchSettings, tls_switch_script
from tests.tools import require

from .netns import PYTHON, Cleanup, Netns, new_netns, require_root_and_tools, run, session_suffix

HERE = Path(__file__).resolve().parent
APP = "app.example.test"  # seed 001's app.ar, as a test name
ACME_HOST = "acme.example.test"
ALLOWED = "192.0.2.10"  # the office network the admin route allows
OUTSIDE = "203.0.113.20"
PROXY_CLIENT_SIDE = ("192.0.2.1", "203.0.113.1")
PROXY_BACKEND_SIDE = "10.77.0.1"
BACKENDS = {
    "web": ("10.77.0.10", 3000),
    "api": ("10.77.0.11", 8000),
    "rabbitmq": ("10.77.0.12", 15672),
}
RESTARTED_WEB = "10.77.0.13"
DNS = "127.0.0.53"
ADMIN = ("admin", "correct horse battery staple")


@dataclass
class World:
    tmp: Path
    proxy: Netns
    backends: Netns
    client: Netns
    settings: NginxSettings
    conf: Path
    script: Path
    hosts_file: Path
    dnsmasq: subprocess.Popen[str]
    nginx: subprocess.Popen[str]
    app_ca: Path
    backend_procs: dict[str, subprocess.Popen[str]]
    cleanup: Cleanup

    def nginx_cmd(self) -> list[str]:
        return ["nginx", "-p", str(self.tmp), "-c", str(self.conf)]

    def get(self, **request: Any) -> dict[str, Any]:
        request.setdefault("address", PROXY_CLIENT_SIDE[0])
        request.setdefault("host", APP)
        request.setdefault("source", ALLOWED)
        if request.get("tls", True):
            request["tls"] = True
            request.setdefault("port", 443)
            request.setdefault("cafile", str(self.app_ca))
        else:
            request.setdefault("port", 80)
        proc = self.client.exec(
            PYTHON, str(HERE / "http_probe.py"), json.dumps([request]), timeout=20
        )
        result: dict[str, Any] = json.loads(proc.stdout)[0]
        return result

    def switch(self, mode: str) -> subprocess.CompletedProcess[str]:
        return self.proxy.exec("sh", str(self.script), mode, check=False, timeout=30)

    def workers(self) -> set[int]:
        text = run(["pgrep", "-P", str(self.nginx.pid)], check=False).stdout
        return {int(pid) for pid in text.split()}


def _sites(tmp: Path) -> NginxSettings:
    return NginxSettings(
        sites=(
            NginxSite(
                APP,
                (
                    NginxLocation("/", "web", 3000),
                    NginxLocation("/api", "api", 8000, websocket=True),
                    NginxLocation(
                        "/rabbitmq",
                        "rabbitmq",
                        15672,
                        users_file="admins",
                        allow_from=("192.0.2.0/24",),
                    ),
                ),
            ),
            NginxSite(ACME_HOST, (NginxLocation("/", "web", 3000),)),
        ),
        resolver=DNS,
        resolver_valid_seconds=1,
        config_dir=str(tmp / "selfhosted"),
        acme_webroot=str(tmp / "acme"),
        letsencrypt_live=str(tmp / "letsencrypt" / "live"),
    )


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _self_signed(directory: Path, host: str) -> Path:
    """A CA and a leaf for ``host`` (openssl), installed where certbot would put it."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = directory / "ca.key", directory / "ca.pem"
    run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(ca_key),
            "-out",
            str(ca),
            "-days",
            "2",
            "-subj",
            "/CN=test CA",
        ]
    )
    key, csr, leaf = directory / "privkey.pem", directory / "leaf.csr", directory / "leaf.pem"
    run(
        [
            "openssl",
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(csr),
            "-subj",
            f"/CN={host}",
        ]
    )
    ext = directory / "ext.cnf"
    ext.write_text(f"subjectAltName=DNS:{host}\n", encoding="utf-8")
    run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-out",
            str(leaf),
            "-days",
            "2",
            "-extfile",
            str(ext),
        ]
    )
    (directory / "fullchain.pem").write_text(leaf.read_text() + ca.read_text(), encoding="utf-8")
    return ca


def _start(
    ns: Netns, argv: list[str], cleanup: Cleanup, ready: str | None = None, **env: str
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        ns.argv(*argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    cleanup.push(stop)
    if ready is not None:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != ready:
            stop()
            raise RuntimeError(
                f"{argv[0]} did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
            )
    return proc


def _backend(
    ns: Netns, name: str, address: str, port: int, cleanup: Cleanup
) -> subprocess.Popen[str]:
    return _start(
        ns, [PYTHON, str(HERE / "http_echo.py"), name, address, str(port)], cleanup, "ready"
    )


def _wait_port(ns: Netns, port: int, address: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = ns.exec(
            PYTHON,
            "-c",
            f"import socket; socket.create_connection(({address!r}, {port}), 1)",
            check=False,
        )
        if probe.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {address}:{port} in {ns.name}")


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    require_root_and_tools()
    require("nginx", "dnsmasq", "openssl", "pebble", "certbot")
    # Not under pytest's 0700 base: nginx's workers (nobody) read the webroot and users file.
    tmp = Path(tempfile.mkdtemp(prefix="nginx-proxy-"))
    tmp.chmod(0o755)
    cleanup = Cleanup()
    cleanup.push(lambda: shutil.rmtree(tmp))
    try:
        yield _build(tmp, cleanup)
    finally:
        cleanup.run()


def _build(tmp: Path, cleanup: Cleanup) -> World:
    suffix = session_suffix()
    proxy = new_netns("ngx", suffix, cleanup)
    backends = new_netns("bk", suffix, cleanup)
    client = new_netns("cl", suffix, cleanup)
    for near, far, name in ((proxy, client, "c"), (proxy, backends, "b")):
        a, b = f"nx{name}{suffix[-4:]}a", f"nx{name}{suffix[-4:]}b"
        run(
            [
                "ip",
                "link",
                "add",
                a,
                "netns",
                near.name,
                "type",
                "veth",
                "peer",
                b,
                "netns",
                far.name,
            ]
        )
        near.ip("link", "set", a, "up")
        far.ip("link", "set", b, "up")
        if name == "c":
            for address in PROXY_CLIENT_SIDE:
                near.ip("addr", "add", f"{address}/24", "dev", a)
            for address in (ALLOWED, OUTSIDE):
                far.ip("addr", "add", f"{address}/24", "dev", b)
        else:
            near.ip("addr", "add", f"{PROXY_BACKEND_SIDE}/24", "dev", a)
            for address, _ in (*BACKENDS.values(), (RESTARTED_WEB, 0)):
                far.ip("addr", "add", f"{address}/24", "dev", b)

    settings = _sites(tmp)
    hosts_file = tmp / "hosts"
    hosts_file.write_text(
        "".join(f"{address} {name}\n" for name, (address, _) in BACKENDS.items())
        + f"{PROXY_BACKEND_SIDE} {APP} {ACME_HOST}\n",
        encoding="utf-8",
    )
    dnsmasq = _start(
        proxy,
        [
            "dnsmasq",
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            f"--addn-hosts={hosts_file}",
            f"--listen-address={DNS}",
            "--bind-interfaces",
            "--user=root",
            "--local-ttl=0",
            f"--pid-file={tmp / 'dnsmasq.pid'}",
        ],
        cleanup,
    )
    _wait_port(proxy, 53, DNS)
    procs = {
        name: _backend(backends, name, address, port, cleanup)
        for name, (address, port) in BACKENDS.items()
    }

    config = Path(settings.config_dir)
    _write(tmp / HTTP_CONF.removeprefix("/etc/nginx/"), http_conf(settings))
    for site in settings.sites:
        _write(Path(site_file(settings, site.host, "acme")), acme_site(settings, site))
        _write(Path(site_file(settings, site.host, "tls")), tls_site(settings, site))
    users = Path(users_path(settings, "admins"))
    _write(users, users_file((ADMIN,)), 0o440)
    # As in the image: root's file, readable by the workers' group (nginx there, nogroup here).
    shutil.chown(users, "root", "nogroup")
    (tmp / "acme").mkdir()
    conf = tmp / "nginx.conf"
    conf.write_text(
        "user nobody nogroup;\nworker_processes 1;\n"
        f"pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n    access_log off;\n"
        + "".join(
            f"    {kind}_temp_path {tmp / 'temp' / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"    include {tmp / 'conf.d'}/*.conf;\n}}\n",
        encoding="utf-8",
    )
    (tmp / "temp").mkdir()
    app_ca = _self_signed(Path(settings.letsencrypt_live) / APP, APP)
    nginx_cmd = ["nginx", "-p", str(tmp), "-c", str(conf)]
    script = config / "tls-switch.sh"
    _write(
        script,
        tls_switch_script(TlsSwitchSettings(nginx=settings, nginx_command=tuple(nginx_cmd))),
        0o755,
    )
    staged = proxy.exec("sh", str(script), "stage", check=False)
    assert staged.returncode == 0, staged.stderr
    proxy.exec(*nginx_cmd, "-t")
    nginx = _start(proxy, [*nginx_cmd, "-g", "daemon off;"], cleanup)
    _wait_port(proxy, 443, PROXY_CLIENT_SIDE[0])
    return World(
        tmp,
        proxy,
        backends,
        client,
        settings,
        conf,
        script,
        hosts_file,
        dnsmasq,
        nginx,
        app_ca,
        procs,
        cleanup,
    )


def test_the_phase_one_config_alone_passes_nginx_t(world: World, tmp_path: Path) -> None:
    # A first `up`: no certificate for any host, every site in phase 1.
    settings = NginxSettings(
        sites=world.settings.sites,
        config_dir=str(tmp_path / "s"),
        acme_webroot=str(tmp_path),
        letsencrypt_live=str(tmp_path / "none"),
        resolver=DNS,
    )
    _write(tmp_path / "conf.d" / "default.conf", http_conf(settings))
    active = tmp_path / "s" / "active"
    for site in settings.sites:
        _write(active / f"{site.host}.conf", acme_site(settings, site))
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        world.conf.read_text()
        .replace(str(world.tmp / "conf.d"), str(tmp_path / "conf.d"))
        .replace(str(world.tmp / "nginx.pid"), str(tmp_path / "pid"))
    )
    proc = run(["nginx", "-p", str(tmp_path), "-c", str(conf), "-t"], check=False)
    assert proc.returncode == 0, proc.stderr
    assert "test is successful" in proc.stderr


def test_started_with_the_tls_site_of_the_host_that_has_a_certificate(world: World) -> None:
    active = Path(world.settings.config_dir) / "active"
    assert (active / f"{APP}.conf").read_text() == tls_site(world.settings, world.settings.sites[0])
    assert (active / f"{ACME_HOST}.conf").read_text() == acme_site(
        world.settings, world.settings.sites[1]
    )


def test_host_and_path_routing(world: World) -> None:
    home = world.get(path="/")
    api = world.get(path="/api/v1/items?q=%2F")
    bare = world.get(path="/api")
    apiary = world.get(path="/apiary")
    assert json.loads(home["body"])["name"] == "web"
    assert json.loads(api["body"])["name"] == "api"
    # Passed unchanged: not stripped, %2F not decoded.
    assert json.loads(api["body"])["target"] == "/api/v1/items?q=%2F"
    assert json.loads(bare["body"])["name"] == "api"
    assert json.loads(apiary["body"])["name"] == "web"


def test_proxy_headers_reach_the_backend(world: World) -> None:
    headers = json.loads(world.get(path="/api/x")["body"])["headers"]
    assert headers["Host"] == APP
    assert headers["X-Forwarded-Proto"] == "https"
    assert headers["X-Forwarded-For"] == ALLOWED
    assert headers["X-Real-IP"] == ALLOWED
    assert headers["X-Forwarded-Host"] == APP


def test_security_headers(world: World) -> None:
    headers = world.get(path="/")["headers"]
    assert headers["strict-transport-security"] == "max-age=31536000"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"


def test_websocket_upgrade_on_a_websocket_route(world: World) -> None:
    upgraded = world.get(path="/api/socket", websocket=True)
    assert upgraded["status"] == 101
    assert upgraded["headers"]["upgrade"].lower() == "websocket"
    assert upgraded["echo"] == "ping"


def test_websocket_upgrade_is_not_passed_on_other_routes(world: World) -> None:
    # `/` is not a websocket route: Upgrade is not forwarded, the backend answers plain HTTP.
    plain = world.get(path="/socket", websocket=True)
    assert plain["status"] == 200


def test_http_redirects_to_https(world: World) -> None:
    answer = world.get(tls=False, path="/some/page?x=1")
    assert answer["status"] == 301
    assert answer["headers"]["location"] == f"https://{APP}/some/page?x=1"


def test_health_answers_loopback_only_and_unknown_hosts_get_nothing(world: World) -> None:
    port = world.settings.health_port
    url = f"http://127.0.0.1:{port}{HEALTH_PATH}"
    inside = world.proxy.exec("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url)
    assert inside.stdout == "204"
    outside = world.get(tls=False, port=port, path=HEALTH_PATH)
    assert "ConnectionRefused" in outside["error"]
    unknown = world.get(tls=False, host="other.example.test", path="/")
    assert "error" in unknown  # 444: closed without an answer
    assert "RemoteDisconnected" in unknown["error"]


def test_acme_challenges_are_served_over_http(world: World) -> None:
    token = Path(world.settings.acme_webroot) / ".well-known" / "acme-challenge" / "tok"
    _write(token, "tok.thumbprint")
    answer = world.get(tls=False, path="/.well-known/acme-challenge/tok")
    assert (answer["status"], answer["body"]) == (200, "tok.thumbprint")


def test_basic_auth_and_allow_list(world: World) -> None:
    missing = world.get(path="/rabbitmq/")
    wrong = world.get(path="/rabbitmq/", user=ADMIN[0], password="wrong")
    right = world.get(path="/rabbitmq/api/overview", user=ADMIN[0], password=ADMIN[1])
    outside = world.get(path="/rabbitmq/", source=OUTSIDE, user=ADMIN[0], password=ADMIN[1])
    assert missing["status"] == 401
    assert missing["headers"]["www-authenticate"].startswith("Basic")
    assert wrong["status"] == 401
    assert right["status"] == 200
    assert json.loads(right["body"])["name"] == "rabbitmq"
    assert outside["status"] == 403
    # Public routes stay open from anywhere.
    assert world.get(path="/", source=OUTSIDE)["status"] == 200


def test_a_restarted_backend_on_a_new_address_is_reached_without_reload(world: World) -> None:
    workers = world.workers()
    assert workers
    world.backend_procs["web"].terminate()
    world.backend_procs["web"].wait(timeout=5)
    _backend(world.backends, "web-restarted", RESTARTED_WEB, 3000, world.cleanup)
    world.hosts_file.write_text(
        world.hosts_file.read_text().replace(
            f"{BACKENDS['web'][0]} web\n", f"{RESTARTED_WEB} web\n"
        )
    )
    world.dnsmasq.send_signal(signal.SIGHUP)  # dnsmasq re-reads its hosts files
    deadline = time.monotonic() + 15
    names = []
    while time.monotonic() < deadline:
        answer = world.get(path="/")
        names.append(json.loads(answer["body"])["name"] if answer.get("status") == 200 else answer)
        if names[-1] == "web-restarted":
            break
        time.sleep(0.5)
    assert names[-1] == "web-restarted", names
    assert world.workers() == workers  # the same workers: nothing was reloaded


def _pebble(world: World) -> tuple[str, Path]:
    """Pebble in the proxy's namespace (HTTP-01 to port 80 of the name dnsmasq gives)."""
    directory = world.tmp / "pebble"
    ca = _self_signed(directory, "localhost")
    # _self_signed names the leaf for `localhost`; pebble's listener is reached as localhost.
    config = directory / "pebble.json"
    config.write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": "127.0.0.1:14000",
                    "managementListenAddress": "127.0.0.1:15000",
                    "certificate": str(directory / "leaf.pem"),
                    "privateKey": str(directory / "privkey.pem"),
                    "httpPort": 80,
                    "tlsPort": 443,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            }
        )
    )
    _start(
        world.proxy,
        ["pebble", "-config", str(config), "-dnsserver", f"{DNS}:53"],
        world.cleanup,
        PEBBLE_VA_NOSLEEP="1",
        PEBBLE_WFE_NONCEREJECT="0",
    )
    _wait_port(world.proxy, 15000)
    return "https://localhost:14000/dir", ca


def _certbot(world: World, server: str, ca: Path, *args: str) -> subprocess.CompletedProcess[str]:
    letsencrypt = Path(world.settings.letsencrypt_live).parent
    return world.proxy.exec(
        "env",
        f"REQUESTS_CA_BUNDLE={ca}",
        "certbot",
        *args,
        "--server",
        server,
        "--config-dir",
        str(letsencrypt),
        "--work-dir",
        str(world.tmp / "certbot-work"),
        "--logs-dir",
        str(world.tmp / "certbot-logs"),
        "--non-interactive",
        "--agree-tos",
        "-m",
        "ops@example.test",
        "--no-eff-email",
        check=False,
        timeout=120,
    )


def _pebble_root(ca: Path, world: World) -> Path:
    root = world.tmp / "pebble-root.pem"
    proc = world.proxy.exec(
        PYTHON,
        "-c",
        (
            "import ssl, urllib.request, sys; "
            f"c = ssl.create_default_context(cafile={str(ca)!r}); "
            "url = 'https://localhost:15000/roots/0'; "
            "sys.stdout.write(urllib.request.urlopen(url, context=c).read().decode())"
        ),
    )
    root.write_text(proc.stdout)
    return root


def _after_reload(world: World, done: Any, **request: Any) -> dict[str, Any]:
    """`nginx -s reload` only signals the master: poll (bounded) until new workers answer."""
    deadline = time.monotonic() + 10
    answer = world.get(**request)
    while not done(answer) and time.monotonic() < deadline:
        time.sleep(0.2)
        answer = world.get(**request)
    return answer


def test_lets_encrypt_in_two_phases_and_a_renewal_that_fails_nginx_t(world: World) -> None:
    server, ca = _pebble(world)
    before = world.get(host=ACME_HOST, tls=False, path="/")
    assert before["status"] == 503  # phase 1: only challenges until the certificate exists
    issued = _certbot(
        world,
        server,
        ca,
        "certonly",
        "--webroot",
        "-w",
        world.settings.acme_webroot,
        "-d",
        ACME_HOST,
    )
    assert issued.returncode == 0, issued.stdout + issued.stderr
    assert world.switch("check").returncode == 0
    root = _pebble_root(ca, world)
    first = _after_reload(
        world, lambda a: a.get("status") == 200, host=ACME_HOST, cafile=str(root), path="/"
    )
    assert first["status"] == 200, first
    assert json.loads(first["body"])["name"].startswith("web")
    assert world.get(host=ACME_HOST, tls=False, path="/x")["status"] == 301

    # A renewal while the TLS site is broken: nginx -t fails, the old certificate keeps serving.
    tls_file = Path(site_file(world.settings, ACME_HOST, "tls"))
    good = tls_file.read_text()
    tls_file.write_text(good.replace("ssl_certificate ", "ssl_certificat ", 1))
    renewed = _certbot(
        world,
        server,
        ca,
        "renew",
        "--force-renewal",
        "--no-random-sleep-on-renew",
        "--cert-name",
        ACME_HOST,
    )
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    failed = world.switch("check")
    assert failed.returncode != 0
    assert "nginx -t failed: keeping the running config" in failed.stderr
    kept = world.get(host=ACME_HOST, cafile=str(root), path="/")
    assert kept["status"] == 200
    assert kept["serial"] == first["serial"]

    # Fixed: the next look reloads and the renewed certificate is served.
    tls_file.write_text(good)
    assert world.switch("check").returncode == 0
    renewed_served = _after_reload(
        world,
        lambda a: a.get("serial") != first["serial"],
        host=ACME_HOST,
        cafile=str(root),
        path="/",
    )
    assert renewed_served["status"] == 200
    assert renewed_served["serial"] != first["serial"]
