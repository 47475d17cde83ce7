"""A client run inside a network namespace (``ip netns exec`` or ``nsenter -n``) against a proxy:
one JSON argument in, one JSON line out. Run by path with the test interpreter, so it has the
project's dependencies (websockets).

Commands (``op``):
- ``get``: one HTTP(S) request (``method``, GET unless given, with an optional ``body``),
  optionally from a given ``source`` address, with basic-auth ``auth`` [user, password],
  verifying the served certificate against ``ca`` (PEM) for ``host`` (then ``verified`` is
  true; without ``ca`` nothing is verified).
- ``ws``: a WebSocket handshake over TLS (a real client: websockets checks the 101 and the
  Sec-WebSocket-Accept key) and the first message.
- ``loop``: a new connection and one GET every ``interval`` seconds for ``seconds``; every
  answer or error, in order.
"""

from __future__ import annotations

import base64
import functools
import http.client
import json
import socket
import ssl
import sys
import time
from typing import Any


@functools.cache
def _context(ca: str | None) -> ssl.SSLContext:
    """Made once per process: loading the trust store costs more than a request."""
    if ca is None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cadata=ca)


def _socket(args: dict[str, Any]) -> socket.socket:
    source = (args["source"], 0) if args.get("source") else None
    return socket.create_connection(
        (args["address"], args["port"]), timeout=args.get("timeout", 5), source_address=source
    )


def get(args: dict[str, Any]) -> dict[str, Any]:
    sock = _socket(args)
    conn: http.client.HTTPConnection
    if args.get("tls", True):
        wrapped = _context(args.get("ca")).wrap_socket(sock, server_hostname=args["host"])
        conn = http.client.HTTPSConnection(args["host"], args["port"], timeout=5)
        conn.sock = wrapped
    else:
        conn = http.client.HTTPConnection(args["host"], args["port"], timeout=5)
        conn.sock = sock
    headers = {"Host": args["host"], "Connection": "close"}
    if args.get("auth"):
        token = base64.b64encode(":".join(args["auth"]).encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    payload = args["body"].encode() if args.get("body") is not None else None
    conn.request(args.get("method", "GET"), args.get("path", "/"), body=payload, headers=headers)
    resp = conn.getresponse()
    body = resp.read().decode(errors="replace")
    conn.close()
    return {
        "status": resp.status,
        "headers": {k.lower(): v for k, v in resp.getheaders()},
        "body": body,
        "verified": args.get("ca") is not None,
    }


def ws(args: dict[str, Any]) -> dict[str, Any]:
    from websockets.sync.client import connect  # noqa: PLC0415 -- only this command needs it

    sock = _socket(args)
    uri = f"wss://{args['host']}{args['path']}"
    with connect(
        uri, sock=sock, ssl=_context(None), server_hostname=args["host"], open_timeout=10
    ) as conn:
        assert conn.response is not None
        return {"status": conn.response.status_code, "message": conn.recv(timeout=5)}


def loop(args: dict[str, Any]) -> dict[str, Any]:
    results = []
    end = time.monotonic() + args["seconds"]
    while time.monotonic() < end:
        started = time.time()
        try:
            answer = get({**args, "timeout": 5})
            status, body = answer["status"], answer["body"].strip()
        except Exception as exc:  # every failure is a result: the test counts them
            status, body = 0, f"{type(exc).__name__}: {exc}"
        results.append([started, status, body, time.time() - started])
        time.sleep(args["interval"])
    return {"results": results}


if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    print(json.dumps({"get": get, "ws": ws, "loop": loop}[request.pop("op")](request)))
