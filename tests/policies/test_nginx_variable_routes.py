"""Where a location with a variable pass address sends requests, seen with Debian's real nginx
in front of two local backends, next to what ``lib.nginx_config`` says it may reach.

Each backend answers its own name, so which one a request reached is read from the answer:
every upstream real nginx was seen to reach must be one the rule checks (a request that can
reach a panel the rule never saw is the bypass this guards against), and an address a request
header names must come out as unresolved.
"""

from __future__ import annotations

import contextlib
import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .real_nginx import free_port, get, serving

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "policies"))

from lib import nginx_config  # the pack's modules, imported as the pack process does

HOST = "admin.example.com"


@contextlib.contextmanager
def _backend(name: str) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 answering every GET with ``name``; yields its port."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _site(port: int, location: str, top: str = "") -> str:
    return (
        f"{top}\nserver {{\n    listen 127.0.0.1:{port};\n    server_name {HOST};\n"
        f"    location /panel/ {{\n        {location}\n    }}\n}}\n"
    )


# The location, the http level above its server, and two requests (path, headers) meant to
# take the two branches: {a} and {b} are the backends' addresses, {pa} and {pb} their ports.
CONFIGS = {
    "set_in_an_if": (
        "set $target http://{a};\n        if ($arg_panel) {{\n"
        "            set $target http://{b};\n        }}\n        proxy_pass $target;",
        "",
        [("/panel/", {}), ("/panel/?panel=1", {})],
    ),
    "map": (
        "proxy_pass $target;",
        "map $arg_panel $target {{\n    default http://{a};\n    admin http://{b};\n}}",
        [("/panel/", {}), ("/panel/?panel=admin", {})],
    ),
    "chained_set_in_an_if": (
        "set $port_of {pa};\n        if ($http_x_panel) {{\n            set $port_of {pb};\n"
        "        }}\n        set $target http://127.0.0.1:$port_of;\n        proxy_pass $target;",
        "",
        [("/panel/", {}), ("/panel/", {"X_Panel": "1"})],
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_upstream_nginx_reaches_is_one_the_rule_checks(name: str, tmp_path: Path) -> None:
    location, top, requests = CONFIGS[name]
    with _backend("a") as pa, _backend("b") as pb:
        values = {"a": f"127.0.0.1:{pa}", "b": f"127.0.0.1:{pb}", "pa": pa, "pb": pb}
        port = free_port()
        text = _site(port, location.format(**values), top.format(**values))
        site = tmp_path / "site.conf"
        site.write_text(text)
        answers = []
        with serving(tmp_path, site) as stderr:
            for path, headers in requests:
                status, body = get(port, path, HOST, **headers)
                assert status == 200, f"{path} {headers}: {status}; {stderr.read_text()[-500:]}"
                answers.append(body)
    assert answers == ["a", "b"]  # both branches really ran
    checked = {str(r.upstream) for r in nginx_config.routes(text) if r.upstream is not None}
    assert {values["a"], values["b"]} <= checked, checked


def test_an_address_a_header_names_is_unresolved(tmp_path: Path) -> None:
    """nginx sends the request where its header says (so anywhere); the rule cannot follow."""
    with _backend("a") as pa:
        port = free_port()
        text = _site(port, "proxy_pass http://127.0.0.1:$http_x_backend_port;")
        site = tmp_path / "site.conf"
        site.write_text(text)
        with serving(tmp_path, site) as stderr:
            answer = get(port, "/panel/", HOST, X_Backend_Port=str(pa))
            assert answer == (200, "a"), stderr.read_text()[-500:]
    (route,) = nginx_config.routes(text)
    assert route.upstream is None
    assert route.unresolved == "http://127.0.0.1:$http_x_backend_port"
