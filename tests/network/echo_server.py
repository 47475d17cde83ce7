"""A tiny TCP/UDP server run inside a network namespace by the netns tests.

Usage: ``echo_server.py NAME LOG --tcp 80,443 --udp 50000,60000``

Every TCP connection and UDP datagram is answered with one JSON line naming this server, the
local port and the peer address it saw, and is appended to LOG (one JSON object per line) so a
test can also prove that a packet never arrived. Prints ``ready`` once every socket is bound.
Standard library only; exits by itself after ``--lifetime`` seconds.
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import sys
import time


def _ports(text: str) -> list[int]:
    return [int(p) for p in text.split(",") if p]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("log")
    parser.add_argument("--tcp", type=_ports, default=[])
    parser.add_argument("--udp", type=_ports, default=[])
    parser.add_argument("--lifetime", type=float, default=300.0)
    args = parser.parse_args()

    sel = selectors.DefaultSelector()
    for port in args.tcp:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(64)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("tcp", port))
    for port in args.udp:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("udp", port))

    log = open(args.log, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process

    def record(proto: str, port: int, peer: tuple[str, int]) -> bytes:
        event = {
            "name": args.name,
            "proto": proto,
            "port": port,
            "peer": peer[0],
            "peer_port": peer[1],
        }
        log.write(json.dumps(event) + "\n")
        log.flush()
        return (json.dumps(event) + "\n").encode()

    print("ready", flush=True)
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            proto, port = key.data
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                if proto == "tcp":
                    conn, peer = sock.accept()
                    with conn:
                        conn.settimeout(1.0)
                        conn.sendall(record(proto, port, peer))
                        conn.shutdown(socket.SHUT_WR)
                else:
                    _, peer = sock.recvfrom(2048)
                    sock.sendto(record(proto, port, peer), peer)
            except OSError as exc:
                print(f"{args.name}: {proto}/{port}: {exc}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
