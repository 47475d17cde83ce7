"""HTTP(S) requests from inside a network namespace, for the proxy tests.

Usage: ``http_probe.py JSON`` where JSON is a list of requests, each
``{"address", "port", "host", "path", "tls": bool, "cafile", "source", "user", "password",
"websocket": bool}``; prints a JSON list with, per request, ``status``, ``headers``, ``body``
(text), and for TLS the served certificate's ``serial``, or ``error``. A WebSocket request
sends an upgrade, then ``ping`` over the upgraded connection and reports what came back in
``echo``. The standard library's http.client and ssl: the certificate chain and the host name
are verified against ``cafile``.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import sys
from typing import Any


def _request(spec: dict[str, Any]) -> dict[str, Any]:
    headers = {"Host": spec["host"]}
    if spec.get("user") is not None:
        token = base64.b64encode(f"{spec['user']}:{spec['password']}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    if spec.get("websocket"):
        headers |= {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        }
    source = (spec["source"], 0) if spec.get("source") else None
    timeout = float(spec.get("timeout", 5.0))
    conn = http.client.HTTPConnection(
        spec["address"], spec["port"], timeout=timeout, source_address=source
    )
    result: dict[str, Any] = {}
    if spec.get("tls"):
        # The socket goes to `address`; SNI and the name the certificate must carry are the Host.
        raw = socket.create_connection((spec["address"], spec["port"]), timeout, source)
        context = ssl.create_default_context(cafile=spec["cafile"])
        wrapped = context.wrap_socket(raw, server_hostname=spec["host"])
        cert = wrapped.getpeercert()
        result["serial"] = cert.get("serialNumber") if cert else None
        conn.sock = wrapped
    conn.request("GET", spec.get("path", "/"), headers=headers)
    response = conn.getresponse()
    result["status"] = response.status
    result["headers"] = {k.lower(): v for k, v in response.getheaders()}
    if response.status == 101:
        sock = conn.sock
        sock.sendall(b"ping")
        result["echo"] = sock.recv(4).decode()
        result["body"] = ""
    else:
        result["body"] = response.read().decode(errors="replace")
    conn.close()
    return result


def main() -> None:
    results = []
    for spec in json.loads(sys.argv[1]):
        try:
            results.append(_request(spec))
        except (OSError, http.client.HTTPException) as exc:
            results.append({"error": f"{type(exc).__name__}: {exc}"})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
