"""Benchmark: UDP media through the rendered NAT ruleset next to the same path routed without NAT.

Run as root: `.venv/bin/python benchmarks/udp_nat.py [--rounds N] [--seconds S]`. Not a test.

Two identical worlds of network namespaces are built side by side in one run:

    client 203.0.113.20 --veth-- [vmbr0 203.0.113.10] host [vmbr1 10.0.0.1] --veth-- guest 10.0.0.10

- **nat**: the host loads the ruleset rendered from ``Pulumi.prod.yaml`` (the same text the
  apply script installs) and the client sends to the public address, UDP port 50000, which
  the prod forward ``udp 50000-60000`` DNATs to the guest.
- **routed**: the host has no ruleset at all (no conntrack, no NAT, no filter) and the client
  routes straight to the guest's private address.

iperf3 sends WebRTC-sized datagrams (1200 bytes) as fast as it can, toward the guest (media
from the internet) and back (``-R``, media to the internet, through the reply path and the
uplink guard). Rounds alternate between the worlds, and the ratio of the medians of the
received rates (nat / routed) is printed per direction. Target: >= 0.95x.

iperf3's TCP control connection uses the data port's number, so the benchmark's plan also
forwards TCP 50000 to the guest; that rule is walked only by the control connection's first
packet.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from ipaddress import IPv4Address
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.derive import DnatRule, NatPlan, nat_plan  # noqa: E402
from components.plan import read_stack_config  # noqa: E402
from components.render import nat_ruleset  # noqa: E402
from components.spec import PortRange, parse_platform  # noqa: E402

CLIENT = "203.0.113.20"
PUBLIC = "203.0.113.10"
GATEWAY = "10.0.0.1"
GUEST = "10.0.0.10"
PORT = 50000
DATAGRAM = 1200  # bytes of UDP payload: a typical RTP packet of WebRTC media


def sh(*argv: str, timeout: float = 30.0, check: bool = True) -> str:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)!r} exited {proc.returncode}: {proc.stderr}")
    return proc.stdout


def prod_plan() -> NatPlan:
    cfg = read_stack_config(ROOT / "Pulumi.prod.yaml")
    p = "platform:"
    values = {k[len(p) :]: v for k, v in cfg.values.items() if k.startswith(p)}
    secret_keys = {k[len(p) :] for k in cfg.secret_keys if k.startswith(p)}
    plan = nat_plan(parse_platform(values, secret_keys))
    assert (str(plan.public_address), plan.uplink, plan.bridge) == (PUBLIC, "vmbr0", "vmbr1")
    media = [
        r
        for r in plan.rules
        if r.protocol == "udp" and any(p.start <= PORT <= p.end for p in r.ports)
    ]
    if not media or str(media[0].target) != GUEST:
        sys.exit(f"prod no longer forwards udp {PORT} to {GUEST}; update the benchmark")
    control = DnatRule(
        "tcp", (PortRange(start=PORT, end=PORT),), IPv4Address(GUEST), "iperf3-control"
    )
    return dataclasses.replace(plan, rules=(*plan.rules, control))


class World:
    """client -- host -- guest; ``nat`` loads the rendered ruleset on the host."""

    def __init__(self, kind: str, suffix: str, ruleset: str | None) -> None:
        self.kind = kind
        self.client, self.host, self.guest = (f"bu-{suffix}-{kind}-{r}" for r in "chg")
        self.created: list[str] = []
        for ns in (self.client, self.host, self.guest):
            sh("ip", "netns", "add", ns)
            self.created.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        h = ("ip", "-n", self.host)
        sh(*h, "link", "add", "vmbr0", "type", "bridge")
        sh(*h, "link", "add", "vmbr1", "type", "bridge")
        sh(*h, "addr", "add", f"{PUBLIC}/24", "dev", "vmbr0")
        sh(*h, "addr", "add", f"{GATEWAY}/24", "dev", "vmbr1")
        for args in (
            ("uplink0", "eth0", self.client, "vmbr0"),
            ("veth-guest", "eth0", self.guest, "vmbr1"),
        ):
            port, peer, ns, bridge = args
            sh(*h, "link", "add", port, "type", "veth", "peer", "name", peer, "netns", ns)
            sh(*h, "link", "set", port, "master", bridge, "up")
        sh(*h, "link", "set", "vmbr0", "up")
        sh(*h, "link", "set", "vmbr1", "up")
        sh("ip", "netns", "exec", self.host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        sh("ip", "-n", self.client, "addr", "add", f"{CLIENT}/24", "dev", "eth0")
        sh("ip", "-n", self.client, "link", "set", "eth0", "up")
        sh("ip", "-n", self.guest, "addr", "add", f"{GUEST}/24", "dev", "eth0")
        sh("ip", "-n", self.guest, "link", "set", "eth0", "up")
        sh("ip", "-n", self.guest, "route", "add", "default", "via", GATEWAY)
        if ruleset is None:
            # Routed: the client reaches the private subnet through the host directly.
            sh("ip", "-n", self.client, "route", "add", "10.0.0.0/24", "via", PUBLIC)
            self.target = GUEST
        else:
            subprocess.run(
                ["ip", "netns", "exec", self.host, "nft", "-f", "-"],
                input=ruleset,
                text=True,
                check=True,
                timeout=30,
            )
            self.target = PUBLIC
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", self.guest, "iperf3", "-s", "-p", str(PORT)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def udp_rate(self, seconds: float, reverse: bool) -> float:
        """Received UDP payload rate in Gbit/s for one iperf3 run."""
        argv = ["ip", "netns", "exec", self.client, "iperf3", "-c", self.target]
        argv += ["-p", str(PORT)]
        argv += ["-u", "-b", "0", "-l", str(DATAGRAM), "-t", str(seconds), "-J"]
        if reverse:
            argv.append("-R")
        report = json.loads(sh(*argv, timeout=seconds + 30))
        if "error" in report:
            raise RuntimeError(f"iperf3 in {self.kind}: {report['error']}")
        end = report["end"]["sum"]
        received = end["bits_per_second"] * (1 - end["lost_percent"] / 100)
        return float(received) / 1e9

    def close(self) -> None:
        if self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=5)
        for ns in reversed(self.created):
            sh("ip", "netns", "del", ns, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark builds network namespaces")

    ruleset = nat_ruleset(prod_plan())
    suffix = secrets.token_hex(2)
    worlds: list[World] = []
    try:
        nat = World("nat", suffix, ruleset)
        worlds.append(nat)
        routed = World("routed", suffix, None)
        worlds.append(routed)
        print(f"UDP {DATAGRAM}-byte datagrams, {args.rounds} rounds x {args.seconds:g}s, Gbit/s")
        for direction, reverse in (("to the guest", False), ("from the guest", True)):
            rates: dict[str, list[float]] = {"nat": [], "routed": []}
            pairs: list[float] = []
            for round_no in range(args.rounds):
                # Back to back, alternating which world goes first: each pair shares the
                # machine's momentary load, so the ratio of a pair is steadier than any rate.
                first, second = (nat, routed) if round_no % 2 == 0 else (routed, nat)
                for world in (first, second):
                    rates[world.kind].append(world.udp_rate(args.seconds, reverse))
                pairs.append(rates["nat"][-1] / rates["routed"][-1])
            print(
                f"{direction:>15}: nat {statistics.median(rates['nat']):6.2f}  "
                f"routed {statistics.median(rates['routed']):6.2f}  "
                f"ratio {statistics.median(pairs):.3f}x (median of {len(pairs)} pairs; "
                f"quartiles {' '.join(f'{q:.3f}' for q in statistics.quantiles(pairs, n=4))})"
                "  target >= 0.95x"
            )
            print(f"{'':>15}  nat rounds    {' '.join(f'{r:.2f}' for r in rates['nat'])}")
            print(f"{'':>15}  routed rounds {' '.join(f'{r:.2f}' for r in rates['routed'])}")
        counters = sh(
            "ip",
            "netns",
            "exec",
            nat.host,
            "nft",
            "list",
            "chain",
            "ip",
            "platform_nat",
            "uplink_guard",
        )
        guard = [line.strip() for line in counters.splitlines() if "drop" in line]
        print(f"uplink guard while measuring: {guard[0] if guard else 'missing!'}")
    finally:
        for world in reversed(worlds):
            world.close()


if __name__ == "__main__":
    main()
