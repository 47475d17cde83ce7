"""An HTTP backend for the proxy tests, run inside a network namespace: the standard library's
HTTP server, answering every request with one JSON object naming this backend and what it
received (the request target as sent, the headers). A request asking for a WebSocket upgrade is
answered 101 with the RFC 6455 accept key, and then every byte that arrives is echoed back.

Usage: ``http_echo.py NAME ADDRESS PORT``; prints ``ready`` once listening.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# RFC 6455 section 1.3: the accept key is base64(SHA-1(key + this GUID)).
_WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name_: str = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self._websocket()
            return
        body = json.dumps(
            {"name": self.server.name, "target": self.path, "headers": dict(self.headers)}  # type: ignore[attr-defined]
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _websocket(self) -> None:
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + _WEBSOCKET_GUID).encode()).digest())
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode())
        self.end_headers()
        self.wfile.flush()
        while chunk := self.connection.recv(4096):
            self.connection.sendall(chunk)
        self.close_connection = True


def main() -> None:
    name, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = ThreadingHTTPServer((address, port), Handler)
    server.name = name  # type: ignore[attr-defined]
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
