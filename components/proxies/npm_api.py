"""A client of Nginx Proxy Manager's REST API, and the request bodies the program sends.

Facts (NginxProxyManager/nginx-proxy-manager; the request schemas themselves are transcribed in
tests/proxies/npm_schemas/ and enforced by the test server):

- ``POST /api/tokens {identity, secret}`` answers ``{token, expires}``; the token lasts ``1d``
  unless asked otherwise (v2.12.6 backend/internal/token.js:24-25, 68-71). An expired token is
  refused with 401 ``Token has expired`` (backend/models/token.js:68-69), so the client logs in
  again before ``expires`` and once more on that answer.
- Errors answer ``{error: {code, message}}`` with the error's status (backend/app.js:61-87); a
  body the schema refuses is a 400 with ajv's text, e.g. ``data must NOT have additional
  properties``, which does not name the field (backend/lib/validator/api.js:29-38). Every
  request schema has ``additionalProperties: false``: bodies below carry exactly the schema's
  fields.
- A user changes its own password with ``PUT /api/users/{id}/auth {type: "password", current,
  secret}``; ``current`` is required for oneself (backend/internal/user.js:363-386) and
  ``secret`` has 8 to 64 characters (backend/schema/paths/users/userID/auth/put.json).
- Access lists (backend/internal/access-list.js at v2.12.6): a create maps ``data.items``
  without a check, so a body without ``items`` fails with 500 (:44; ``items: []`` works);
  ``satisfy_any`` and ``pass_auth`` are written only when ``name`` is sent (:124-133); an item
  with an empty password keeps the stored one (:141-155); a read masks each password as ``""``
  with a ``hint``: its first character and one ``*`` per other character (:446-458). NPM
  writes ``deny all;`` after the clients of every list (backend/templates/_access.conf:17), so
  a list of users only needs the client ``allow all`` to let anyone reach the password prompt.
- Certificates have no update endpoint (backend/schema/paths/nginx/certificates/certID/ has
  delete, get, download, renew, upload): a changed certificate is a new one. The 2.12 body
  carries ``meta.letsencrypt_email``/``letsencrypt_agree``; 2.13 refuses them (components/
  proxies/npm.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

# Log in again this long before the token's expiry: a request never carries a token that
# expires on the way.
TOKEN_MARGIN_S = 60.0
TOKEN_EXPIRED = "Token has expired"
KINDS = ("proxy-hosts", "access-lists", "certificates")


class NpmError(Exception):
    """A refused request: the method, path, status and NPM's own message."""


def _expiry(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class NpmApi:
    """One login to NPM at ``base_url`` (``http://127.0.0.1:<tunnel port>``)."""

    def __init__(
        self,
        base_url: str,
        email: str,
        password: str,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 60.0,
    ) -> None:
        self._client = httpx.Client(base_url=base_url, timeout=timeout)
        self._email = email
        self._password = password
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    def __enter__(self) -> NpmApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def token(self, password: str | None = None) -> str:
        """Log in (with ``password``, else the admin's); raises NpmError when refused."""
        body = {"identity": self._email, "secret": password or self._password}
        answer = self._send("POST", "/api/tokens", body, token=None)
        if password is None or password == self._password:
            self._token, self._expires = answer["token"], _expiry(answer["expires"])
        return str(answer["token"])

    def can_log_in(self, password: str) -> bool:
        try:
            self.token(password)
        except NpmError as error:
            if "401" in str(error):
                return False
            raise
        return True

    def request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, **params: str
    ) -> Any:
        if self._token is None or self._clock() > self._expires - TOKEN_MARGIN_S:
            self.token()
        try:
            return self._send(method, path, body, token=self._token, params=params)
        except NpmError as error:
            if TOKEN_EXPIRED not in str(error):
                raise
        self.token()  # expired on the server's clock first: once more with a new one
        return self._send(method, path, body, token=self._token, params=params)

    def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        *,
        token: str | None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = self._client.request(
            method, path, json=body, headers=headers, params=dict(params or {})
        )
        if reply.is_success:
            return reply.json() if reply.content else None
        try:
            message = reply.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = reply.text[:500]
        raise NpmError(f"{method} {path}: {reply.status_code} {message}")

    # The objects: one path per kind, read with their expansions.
    def create(self, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", f"/api/nginx/{kind}", body))

    def get(self, kind: str, object_id: int, expand: str = "") -> dict[str, Any] | None:
        params = {"expand": expand} if expand else {}
        try:
            return dict(self.request("GET", f"/api/nginx/{kind}/{object_id}", None, **params))
        except NpmError as error:
            if ": 404 " in str(error):
                return None
            raise

    def update(self, kind: str, object_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.request("PUT", f"/api/nginx/{kind}/{object_id}", body))

    def delete(self, kind: str, object_id: int) -> None:
        try:
            self.request("DELETE", f"/api/nginx/{kind}/{object_id}")
        except NpmError as error:
            if ": 404 " not in str(error):  # already gone: what a delete wants
                raise

    def me(self) -> dict[str, Any]:
        return dict(self.request("GET", "/api/users/me"))

    def set_own_password(self, user_id: int, current: str, new: str) -> None:
        body = {"type": "password", "current": current, "secret": new}
        self.request("PUT", f"/api/users/{user_id}/auth", body)


def password_hint(password: str) -> str:
    """The hint NPM reads back for a stored access-list password (see above)."""
    return password[:1] + "*" * (len(password) - 1) if password else "*" * 8


def proxy_host_body(host: Mapping[str, Any]) -> dict[str, Any]:
    """A proxy host's POST/PUT body from the resource's inputs (the schema's fields only)."""
    return {
        "domain_names": list(host["domainNames"]),
        "forward_scheme": host["forwardScheme"],
        "forward_host": host["forwardHost"],
        "forward_port": int(host["forwardPort"]),
        "certificate_id": int(host["certificateId"]),
        "ssl_forced": bool(host["sslForced"]),
        "hsts_enabled": bool(host["hstsEnabled"]),
        "hsts_subdomains": False,
        "http2_support": bool(host["http2Support"]),
        "block_exploits": bool(host["blockExploits"]),
        "caching_enabled": False,
        "allow_websocket_upgrade": bool(host["allowWebsocketUpgrade"]),
        "access_list_id": int(host["accessListId"]),
        "advanced_config": host["advancedConfig"],
        "enabled": True,
        "meta": {},
        "locations": [
            {
                "path": location["path"],
                "forward_scheme": location["forwardScheme"],
                "forward_host": location["forwardHost"],
                "forward_port": int(location["forwardPort"]),
                "advanced_config": location["advancedConfig"],
            }
            for location in host["locations"]
        ],
    }


def proxy_host_state(live: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs' shape of a proxy host NPM answers (what a hand edit changes shows)."""
    return {
        "domainNames": list(live["domain_names"]),
        "forwardScheme": live["forward_scheme"],
        "forwardHost": live["forward_host"],
        "forwardPort": int(live["forward_port"]),
        "certificateId": int(live["certificate_id"]),
        "sslForced": bool(live["ssl_forced"]),
        "hstsEnabled": bool(live["hsts_enabled"]),
        "http2Support": bool(live["http2_support"]),
        "blockExploits": bool(live["block_exploits"]),
        "allowWebsocketUpgrade": bool(live["allow_websocket_upgrade"]),
        "accessListId": int(live["access_list_id"]),
        "enabled": bool(live["enabled"]),
        "advancedConfig": live.get("advanced_config") or "",
        "locations": [
            {
                "path": location["path"],
                "forwardScheme": location["forward_scheme"],
                "forwardHost": location["forward_host"],
                "forwardPort": int(location["forward_port"]),
                "advancedConfig": location.get("advanced_config") or "",
            }
            for location in live.get("locations") or []
        ],
    }


def access_list_body(access: Mapping[str, Any], unchanged: Sequence[str] = ()) -> dict[str, Any]:
    """An access list's POST/PUT body. ``name`` is always sent (else NPM ignores satisfy_any
    and pass_auth), ``items`` always (a create without it fails); users in ``unchanged`` are
    sent with an empty password, which keeps the stored one (only on a PUT)."""
    return {
        "name": access["name"],
        "satisfy_any": bool(access["satisfyAny"]),
        "pass_auth": bool(access["passAuth"]),
        "items": [
            {
                "username": item["username"],
                "password": "" if item["username"] in unchanged else item["password"],
            }
            for item in access["items"]
        ],
        "clients": [
            {"address": client["address"], "directive": client["directive"]}
            for client in access["clients"]
        ],
    }


def access_list_state(live: Mapping[str, Any], passwords: Mapping[str, str]) -> dict[str, Any]:
    """The inputs' shape of a live access list. NPM never reads a password back; a user whose
    hint matches the password the state holds keeps it, any other gets "" (a difference the
    next update sends again)."""
    items = []
    for item in live.get("items") or []:
        known = passwords.get(item["username"], "")
        same = bool(known) and item.get("hint") == password_hint(known)
        items.append({"username": item["username"], "password": known if same else ""})
    return {
        "name": live["name"],
        "satisfyAny": bool(live["satisfy_any"]),
        "passAuth": bool(live["pass_auth"]),
        "items": items,
        "clients": [
            {"address": client["address"], "directive": client["directive"]}
            for client in live.get("clients") or []
        ],
    }


def certificate_body(
    line: str, domain_names: Sequence[str], letsencrypt_email: str | None
) -> dict[str, Any]:
    """A Let's Encrypt certificate over the HTTP challenge, in the shape of NPM ``line``."""
    meta: dict[str, Any] = {"dns_challenge": False}
    if line == "2.12":
        assert letsencrypt_email is not None  # required for 2.12 by the spec
        meta |= {"letsencrypt_email": letsencrypt_email, "letsencrypt_agree": True}
    return {"provider": "letsencrypt", "domain_names": list(domain_names), "meta": meta}
