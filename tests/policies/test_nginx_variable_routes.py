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


def _site(port: int, location: str, top: str = "", server: str = "") -> str:
    return (
        f"{top}\nserver {{\n    listen 127.0.0.1:{port};\n    server_name {HOST};\n"
        f"    {server}\n    location /panel/ {{\n        {location}\n    }}\n}}\n"
    )


# The location, the http level above its server, the server level, and requests (path,
# headers) with the backend each must reach: {a} and {b} are the backends' addresses, {pa} and
# {pb} their ports.
CONFIGS = {
    "set_in_an_if": (
        "set $target http://{a};\n        if ($arg_panel) {{\n"
        "            set $target http://{b};\n        }}\n        proxy_pass $target;",
        "",
        "",
        [("/panel/", {}, "a"), ("/panel/?panel=1", {}, "b")],
    ),
    "map": (
        "proxy_pass $target;",
        "map $arg_panel $target {{\n    default http://{a};\n    admin http://{b};\n}}",
        "",
        [("/panel/", {}, "a"), ("/panel/?panel=admin", {}, "b")],
    ),
    "chained_set_in_an_if": (
        "set $port_of {pa};\n        if ($http_x_panel) {{\n            set $port_of {pb};\n"
        "        }}\n        set $target http://127.0.0.1:$port_of;\n        proxy_pass $target;",
        "",
        "",
        [("/panel/", {}, "a"), ("/panel/", {"X_Panel": "1"}, "b")],
    ),
    # geo by the client's address (the test's client is 127.0.0.1), split_clients by a hash
    # of it (100% one value): both are variables the http level gives.
    "geo": (
        "proxy_pass $target;",
        "geo $target {{\n    default http://{a};\n    127.0.0.0/8 http://{b};\n}}",
        "",
        [("/panel/", {}, "b")],
    ),
    "split_clients": (
        "proxy_pass $target;",
        'split_clients "${{remote_addr}}" $target {{\n    100% http://{b};\n}}',
        "",
        [("/panel/", {}, "b")],
    ),
    # A later set never runs after a break: the earlier value is the one sent to.
    "set_before_a_break": (
        "set $target http://{b};\n        rewrite ^ /panel/ break;\n"
        "        set $target http://{a};\n        proxy_pass $target;",
        "",
        "",
        [("/panel/", {}, "b")],
    ),
    # A nested location inherits no set of the one around it: the server's value holds.
    "nested_location": (
        "set $target http://{a};\n        location /panel/x/ {{\n"
        "            proxy_pass $target;\n        }}",
        "",
        "set $target http://{b};",
        [("/panel/x/", {}, "b")],
    ),
    # The request's path after the address decides nothing of it.
    "path_after_the_port": (
        "proxy_pass http://{b}$uri$is_args$args;",
        "",
        "",
        [("/panel/?x=1", {}, "b")],
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_upstream_nginx_reaches_is_one_the_rule_checks(name: str, tmp_path: Path) -> None:
    location, top, server, requests = CONFIGS[name]
    with _backend("a") as pa, _backend("b") as pb:
        values = {"a": f"127.0.0.1:{pa}", "b": f"127.0.0.1:{pb}", "pa": pa, "pb": pb}
        port = free_port()
        text = _site(port, location.format(**values), top.format(**values), server.format(**values))
        site = tmp_path / "site.conf"
        site.write_text(text)
        answers = []
        with serving(tmp_path, site) as stderr:
            for path, headers, _ in requests:
                status, body = get(port, path, HOST, **headers)
                assert status == 200, f"{path} {headers}: {status}; {stderr.read_text()[-500:]}"
                answers.append(body)
    assert answers == [want for _, _, want in requests]
    checked = {str(r.upstream) for r in nginx_config.routes(text) if r.upstream is not None}
    reached = {values[body] for body in answers}
    assert reached <= checked, f"nginx reached {reached}, the rule checks {checked}"


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
