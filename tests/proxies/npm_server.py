"""A stand-in for Nginx Proxy Manager's API, which cannot run here: it enforces NPM's published
request schemas and the behaviours DESIGN.md records from the real 2.12.6 backend.

Every request body is validated with ``jsonschema`` against the schema of its endpoint at the
server's tag (npm_schemas/<tag>.json, transcribed from the repository by transcribe.py); a
refused body is a 400 with ajv's text (``data must NOT have additional properties`` names no
field). The rest follows backend/internal/*.js at v2.12.6 (see components/proxies/npm_api.py
for the lines): tokens that expire (401 ``Token has expired``), ``meta: {}`` on a create and
``nginx_online`` on a later read, a 500 for an access list created without ``items``,
passwords read back as ``""`` with a hint, an empty password on an update keeping the stored
one, ``satisfy_any``/``pass_auth`` written only with ``name``, and on 2.13 the certificate's
account email being the user's. No nginx or certbot runs behind it: that stays unproven.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema

SCHEMAS = Path(__file__).with_name("npm_schemas")
KINDS = ("proxy-hosts", "access-lists", "certificates")


def request_schemas(tag: str) -> dict[str, Any]:
    fixture = json.loads((SCHEMAS / f"{tag}.json").read_text())
    return {endpoint: entry["schema"] for endpoint, entry in fixture["requests"].items()}


class RefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class NpmState:
    tag: str
    token_seconds: float = 86400.0
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, tuple[int, float]] = field(default_factory=dict)
    objects: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    refused: list[tuple[str, str, int, str]] = field(default_factory=list)
    next_id: int = 1

    @property
    def line(self) -> str:
        return ".".join(self.tag.removeprefix("v").split(".")[:2])

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (as a day passing would)."""
        self.tokens = {token: (user, 0.0) for token, (user, _) in self.tokens.items()}

    def token_logins(self) -> int:
        return sum(
            1 for method, path, _ in self.requests if (method, path) == ("POST", "/api/tokens")
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ajv_text(error: jsonschema.ValidationError) -> str:
    where = "".join(f"/{part}" for part in error.absolute_path)
    if error.validator == "additionalProperties":
        return f"data{where} must NOT have additional properties"
    if error.validator == "required":
        return f"data{where} must have required property {error.message.split(chr(39))[1]!r}"
    return f"data{where} {error.message}"


class Api:
    def __init__(self, state: NpmState) -> None:
        self.state = state
        self.schemas = request_schemas(state.tag)

    def _validate(self, endpoint: str, body: Any) -> None:
        errors = list(jsonschema.Draft202012Validator(self.schemas[endpoint]).iter_errors(body))
        if errors:
            raise RefusedError(400, ", ".join(_ajv_text(e) for e in errors))

    def _user(self, headers: Any) -> int:
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if token not in self.state.tokens:
            raise RefusedError(401, "Permission Denied")
        user, expires = self.state.tokens[token]
        if time.time() > expires:
            raise RefusedError(401, "Token has expired")
        return user

    def _id(self) -> int:
        self.state.next_id += 1
        return self.state.next_id

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, headers: Any) -> Any:
        if (method, path) == ("POST", "/api/tokens"):
            self._validate("POST /api/tokens", body)
            for user_id, user in self.state.users.items():
                if (
                    user["email"] == body["identity"].lower().strip()
                    and user["password"] == body["secret"]
                ):
                    token = secrets.token_hex(16)
                    expires = time.time() + self.state.token_seconds
                    self.state.tokens[token] = (user_id, expires)
                    iso = datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z")
                    return 200, {"token": token, "expires": iso}
            raise RefusedError(401, "Invalid email or password")
        me = self._user(headers)
        if (method, path) == ("GET", "/api/users/me"):
            user = self.state.users[me]
            return 200, {"id": me, "email": user["email"], "roles": ["admin"]}
        match = re.fullmatch(r"/api/users/(\d+)(/auth)?", path)
        if match and method == "PUT":
            user_id = int(match[1])
            if match[2]:
                self._validate("PUT /api/users/{id}/auth", body)
                user = self.state.users[user_id]
                if user_id == me and body.get("current") != user["password"]:
                    raise RefusedError(401, "Invalid email or password")
                user["password"] = body["secret"]
                return 200, True
            self._validate("PUT /api/users/{id}", body)
            self.state.users[user_id].update(body)
            return 200, {"id": user_id, **self.state.users[user_id]}
        match = re.fullmatch(r"/api/nginx/([a-z-]+)(?:/(\d+))?", path)
        if not match or match[1] not in KINDS:
            raise RefusedError(404, "Not Found")
        kind, object_id = match[1], int(match[2]) if match[2] else None
        objects = self.state.objects[kind]
        if object_id is None and method == "POST":
            self._validate(f"POST /api/nginx/{kind}", body)
            return 201, getattr(self, f"_create_{kind.replace('-', '_')}")(body, me)
        if object_id is None or object_id not in objects:
            raise RefusedError(404, f"Item Not Found - {object_id}")
        if method == "GET":
            return 200, self._read(kind, objects[object_id], query.get("expand", ""))
        if method == "PUT" and kind != "certificates":
            self._validate(f"PUT /api/nginx/{kind}/{{id}}", body)
            getattr(self, f"_update_{kind.replace('-', '_')}")(objects[object_id], body)
            return 200, self._read(kind, objects[object_id], "")
        if method == "DELETE":
            del objects[object_id]
            return 200, True
        raise RefusedError(404, "Not Found")

    def _read(self, kind: str, row: dict[str, Any], expand: str) -> dict[str, Any]:
        out = json.loads(json.dumps(row))
        if kind == "proxy-hosts":
            out["meta"] = {"nginx_online": True, "nginx_err": None}
        if kind == "access-lists":
            expanded = expand.split(",")
            items = out.pop("items")
            clients = out.pop("clients")
            if "items" in expanded:
                out["items"] = [
                    {
                        "username": i["username"],
                        "password": "",
                        "hint": i["password"][:1] + "*" * (len(i["password"]) - 1),
                    }
                    for i in items
                ]
            if "clients" in expanded:
                out["clients"] = clients
        return out

    def _create_proxy_hosts(self, body: dict[str, Any], me: int) -> dict[str, Any]:
        row = {
            "id": self._id(),
            "created_on": _now(),
            "modified_on": _now(),
            "owner_user_id": me,
            "certificate_id": 0,
            "access_list_id": 0,
            "ssl_forced": False,
            "caching_enabled": False,
            "block_exploits": False,
            "advanced_config": "",
            "allow_websocket_upgrade": False,
            "http2_support": False,
            "enabled": True,
            "hsts_enabled": False,
            "hsts_subdomains": False,
            "locations": [],
            **body,
        }
        if row["certificate_id"] == "new":
            row["certificate_id"] = self._create_certificates(
                {
                    "provider": "letsencrypt",
                    "domain_names": body["domain_names"],
                    "meta": body.get("meta", {}),
                },
                me,
            )["id"]
        row["meta"] = {}
        self.state.objects["proxy-hosts"][row["id"]] = row
        return {**row, "meta": {}}  # a create answers meta {} (the reload comes later)

    def _update_proxy_hosts(self, row: dict[str, Any], body: dict[str, Any]) -> None:
        row.update(body)
        row["modified_on"] = _now()

    def _create_access_lists(self, body: dict[str, Any], me: int) -> dict[str, Any]:
        if "items" not in body:
            # v2.12.6 backend/internal/access-list.js:44 maps data.items unchecked.
            raise RefusedError(500, "Internal Error")
        row = {
            "id": self._id(),
            "created_on": _now(),
            "modified_on": _now(),
            "owner_user_id": me,
            "name": body["name"],
            "satisfy_any": body.get("satisfy_any", False),
            "pass_auth": body.get("pass_auth", False),
            "meta": {},
            "items": [dict(i) for i in body["items"]],
            "clients": [dict(c) for c in body.get("clients", [])],
        }
        self.state.objects["access-lists"][row["id"]] = row
        return self._read("access-lists", row, "items,clients")

    def _update_access_lists(self, row: dict[str, Any], body: dict[str, Any]) -> None:
        if body.get("name"):
            row["name"] = body["name"]
            for key in ("satisfy_any", "pass_auth"):
                if key in body:
                    row[key] = body[key]
        if "items" in body:
            kept = {i["username"] for i in body["items"] if not i.get("password")}
            row["items"] = [i for i in row["items"] if i["username"] in kept] + [
                dict(i) for i in body["items"] if i.get("password")
            ]
        if "clients" in body:
            row["clients"] = [dict(c) for c in body["clients"] if c.get("address")]

    def _create_certificates(self, body: dict[str, Any], me: int) -> dict[str, Any]:
        meta = body.get("meta", {})
        if not self.state.users[me].get("email"):
            raise RefusedError(400, "A valid email address must be set on your user account")
        row = {
            "id": self._id(),
            "created_on": _now(),
            "modified_on": _now(),
            "owner_user_id": me,
            "provider": body["provider"],
            "nice_name": ", ".join(body["domain_names"]),
            "domain_names": list(body["domain_names"]),
            "meta": {**meta, "letsencrypt_certificate": {"cn": body["domain_names"][0]}},
            "expires_on": _now(),
        }
        self.state.objects["certificates"][row["id"]] = row
        return row


def _handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            api.state.requests.append((self.command, url.path, body))
            try:
                status, payload = api.handle(self.command, url.path, query, body, self.headers)
            except RefusedError as refused:
                api.state.refused.append((self.command, url.path, refused.status, str(refused)))
                status = refused.status
                payload = {"error": {"code": status, "message": str(refused)}}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 -- the stdlib's names

    return Handler


@contextmanager
def npm_server(
    tag: str, email: str, password: str, host: str = "127.0.0.1", port: int = 0
) -> Iterator[tuple[str, NpmState]]:
    """NPM at ``tag`` with one admin (as setup.js creates it); yields its URL and state."""
    state = NpmState(tag=tag)
    state.users[1] = {"email": email, "password": password}
    server = ThreadingHTTPServer((host, port), _handler(Api(state)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
