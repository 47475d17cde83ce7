"""Send bare TCP segments (no connection behind them) from inside a network namespace.

Usage: ``raw_tcp.py DST_ADDR DST_PORT SRC_PORT FLAGS[,FLAGS...]`` with flags such as ``R``,
``SA`` (SYN+ACK) or ``FA`` (FIN+ACK): one segment per item, built here and sent through a raw
socket, so the kernel adds the IP header and routes it like any other packet of the guest.
This is what a guest emits when it answers a connection the host never tracked (or has
already forgotten): conntrack calls such segments invalid. Standard library only.
"""

from __future__ import annotations

import socket
import struct
import sys

FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def segment(src: str, dst: str, sport: int, dport: int, flags: str) -> bytes:
    bits = sum(FLAG_BITS[f] for f in flags)
    header = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, bits, 8192, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, 20)
    return header[:16] + struct.pack("!H", _checksum(pseudo + header)) + header[18:]


def main() -> None:
    dst, dport, sport, flag_list = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    # The source address the kernel will use for this destination.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((dst, dport))
        src = probe.getsockname()[0]
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP) as raw:
        for flags in flag_list.split(","):
            raw.sendto(segment(src, dst, sport, dport, flags), (dst, 0))
    print(src)


if __name__ == "__main__":
    main()
