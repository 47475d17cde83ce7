"""Benchmark: UDP media through the rendered NAT ruleset next to the same path routed without NAT.

Run as root: `.venv/bin/python benchmarks/udp_nat.py [--rounds N] [--seconds S]` (needs
`iperf3`: `apt-get install iperf3`). Not a test.

Identical worlds of network namespaces are built side by side in one run:

    client 203.0.113.20 --veth-- [vmbr0 203.0.113.10] host [vmbr1 10.0.0.1] --veth-- guest 10.0.0.10

- **nat**: the host loads the ruleset rendered from ``Pulumi.prod.yaml`` (the text the apply
  script installs, uplink guard included) and the client sends to the public address, UDP
  port 50000, which the prod forward ``udp 50000-60000`` DNATs to the guest.
- **routed** (twice): the host has no ruleset at all (no conntrack, no NAT, no filter) and the
  client routes straight to the guest's private address.
- **nat-only**: the rendered ruleset without its filter chains (forward, input, uplink
  guard): what conntrack and NAT cost by themselves, so the filter chains' share is visible.

iperf3 sends WebRTC-sized datagrams (1200 bytes) as fast as it can, toward the guest (media
from the internet) and back (``-R``: media to the internet, through the reply path and the
uplink guard). A veth hands each packet to the next namespace on the sending CPU, so the
sender pays for the whole path. The machines this runs on are shared and noisy, so each round
runs two worlds **at the same time**, both senders pinned to CPU 0 and both receivers to CPU 1
(iperf3 ``-A``): they get equal shares of the same CPU under the same load, and the ratio of
what arrives is the ratio of their per-packet costs. The printed ratio is the median over
rounds of nat / routed; the A/A ratio of the two routed worlds shows the noise floor of the
method on this machine. Target: nat / routed >= 0.95x.

iperf3's TCP control connection uses the data port's number, so the benchmark's plan also
forwards TCP 50000 to the guest; only that connection's first packet walks that rule.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import secrets
import shutil
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
        self.server: subprocess.Popen[bytes] | None = None
        try:
            self._build(ruleset)
        except BaseException:
            self.close()
            raise

    def _build(self, ruleset: str | None) -> None:
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

    def start(self, seconds: float, reverse: bool) -> subprocess.Popen[str]:
        """One iperf3 run; the sender on CPU 0 and the receiver on CPU 1 (when there are two)."""
        sender, receiver = 0, min(1, (os.cpu_count() or 1) - 1)
        client_cpu, server_cpu = (receiver, sender) if reverse else (sender, receiver)
        argv = ["ip", "netns", "exec", self.client, "iperf3", "-c", self.target]
        argv += ["-p", str(PORT), "-A", f"{client_cpu},{server_cpu}"]
        argv += ["-u", "-b", "0", "-l", str(DATAGRAM), "-t", f"{seconds:g}", "-J"]
        if reverse:
            argv.append("-R")
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def rate(self, run: subprocess.Popen[str], seconds: float) -> float:
        """Received UDP payload rate of a finished run, in Gbit/s."""
        out, err = run.communicate(timeout=seconds + 30)
        report = json.loads(out) if out.strip() else {"error": err}
        if "error" in report:
            raise RuntimeError(f"iperf3 in {self.kind}: {report['error']}")
        end = report["end"]["sum"]
        received = end["bits_per_second"] * (1 - end["lost_percent"] / 100)
        return float(received) / 1e9

    def close(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=5)
        for ns in reversed(self.created):
            sh("ip", "netns", "del", ns, check=False)


def without_filter_chains(ruleset: str) -> str:
    """The ruleset with its filter-type chains removed (nat chains and sets kept)."""
    chains = re.findall(r"\n    chain \w+ \{\n.*?\n    \}\n", ruleset, flags=re.S)
    for chain in chains:
        if "type filter hook" in chain:
            ruleset = ruleset.replace(chain, "\n")
    if "type filter hook" in ruleset:
        raise RuntimeError("a filter chain was not removed; update the benchmark")
    return ruleset


def together(a: World, b: World, seconds: float, reverse: bool) -> float:
    """Run ``a`` and ``b`` at the same time; the ratio of what reached their receivers."""
    runs = (a.start(seconds, reverse), b.start(seconds, reverse))
    return a.rate(runs[0], seconds) / b.rate(runs[1], seconds)


def summary(ratios: list[float]) -> str:
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return f"{statistics.median(ratios):.3f}x (quartiles {q1:.3f}-{q3:.3f}, {len(ratios)} rounds)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark builds network namespaces")
    if shutil.which("iperf3") is None:
        sys.exit("iperf3 is not installed: apt-get install iperf3")

    ruleset = nat_ruleset(prod_plan())
    suffix = secrets.token_hex(2)
    worlds: list[World] = []
    try:
        for kind, text in (
            ("nat", ruleset),
            ("natonly", without_filter_chains(ruleset)),
            ("routed", None),
            ("routed2", None),
        ):
            worlds.append(World(kind, suffix, text))
        nat, nat_only, routed, routed2 = worlds
        print(
            f"UDP {DATAGRAM}-byte datagrams, {args.rounds} rounds of {args.seconds:g}s, "
            "two worlds at a time, senders sharing CPU 0"
        )
        for direction, reverse in (("to the guest", False), ("from the guest", True)):
            ratios: dict[str, list[float]] = {"nat": [], "nat-only": [], "control": []}
            for round_no in range(args.rounds):
                # Alternate which world starts first; interleave the variant and the control.
                for name, world in (("nat", nat), ("nat-only", nat_only)):
                    if round_no % 2:
                        ratios[name].append(1 / together(routed, world, args.seconds, reverse))
                    else:
                        ratios[name].append(together(world, routed, args.seconds, reverse))
                ratios["control"].append(together(routed2, routed, args.seconds, reverse))
            print(f"{direction:>15}: nat / routed       {summary(ratios['nat'])}  target >= 0.95x")
            print(f"{'':>15}  nat-only / routed  {summary(ratios['nat-only'])}  (no filter chains)")
            print(f"{'':>15}  routed / routed    {summary(ratios['control'])}  (noise floor)")
        listing = ("nft", "list", "chain", "ip", "platform_nat", "uplink_guard")
        counters = sh("ip", "netns", "exec", nat.host, *listing)
        guard = [line.strip() for line in counters.splitlines() if "drop" in line]
        print("uplink guard in force while measuring:", *guard, sep="\n  ")
    finally:
        for world in reversed(worlds):
            world.close()


if __name__ == "__main__":
    main()
