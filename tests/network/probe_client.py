"""Send probes from inside a network namespace and print what came back, as JSON.

Usage: ``probe_client.py '[{"proto": "tcp", "host": "203.0.113.10", "port": 443}, ...]'``

Probes run concurrently (so several negative probes cost one timeout, not many). Each result is
``{"reply": {...}}`` with the JSON line the server sent, or ``{"error": "refused" | "timeout" |
"unreachable" | "<errno name>"}``. Standard library only; every wait is bounded.
"""

from __future__ import annotations

import errno
import json
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _error(exc: OSError) -> dict[str, str]:
    if isinstance(exc, ConnectionRefusedError):
        return {"error": "refused"}
    if isinstance(exc, TimeoutError):
        return {"error": "timeout"}
    if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return {"error": "unreachable"}
    return {"error": errno.errorcode.get(exc.errno or 0, repr(exc))}


def _tcp(host: str, port: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as s:
        data = b""
        while not data.endswith(b"\n"):
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    if not data:
        return {"error": "empty"}
    return {"reply": json.loads(data)}


def _udp(host: str, port: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            s.send(b"probe\n")
            s.settimeout(min(0.5, remaining))
            try:
                return {"reply": json.loads(s.recv(4096))}
            except TimeoutError:
                continue  # resend: a lost datagram must not look like a blocked port


def probe(spec: dict[str, Any]) -> dict[str, Any]:
    run = _tcp if spec["proto"] == "tcp" else _udp
    try:
        return run(spec["host"], int(spec["port"]), float(spec.get("timeout", 2.0)))
    except OSError as exc:
        return _error(exc)


def main() -> None:
    probes = json.loads(sys.argv[1])
    with ThreadPoolExecutor(max_workers=max(1, len(probes))) as pool:
        results = list(pool.map(probe, probes))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
