"""The rendered NAT ruleset, applied by the real apply script, tested with real packets.

A module-scoped topology of network namespaces stands in for the prod host:

    inet 203.0.113.20 --veth-- [vmbr0 203.0.113.10]  host  [vmbr1 10.0.0.1] --veth-- guests

with guests proxy 10.0.0.2, livekit 10.0.0.10, backend 10.0.0.13 and a database 10.0.0.20.
The host namespace gets the rendered sysctl file and the ruleset rendered from
``Pulumi.prod.yaml``, installed with ``NAT_APPLY_SCRIPT``. Servers answer with their name and
the peer address they saw, so every assertion names the guest that answered and the source
address it saw. Negative results are backed by a listener that would have answered.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest

from components.derive import nat_plan
from components.plan.stack_spec import read_stack_spec
from components.render import NAT_APPLY_SCRIPT, nat_ruleset
from components.render.host_files import SYSCTL_CONF, host_files
from components.spec import PlatformSpec

from .netns import (
    HERE,
    INET_ADDRESS,
    INET_PREFIX,
    INET_TCP_PORT,
    PYTHON,
    Cleanup,
    Netns,
    Server,
    new_netns,
    require_root_and_tools,
    session_suffix,
    start_capture,
    start_server,
    tcp,
    udp,
)

pytestmark = pytest.mark.netns

REPO = Path(__file__).resolve().parents[2]

PUBLIC = "203.0.113.10"
GATEWAY = "10.0.0.1"
PROXY = "10.0.0.2"
LIVEKIT = "10.0.0.10"
BACKEND = "10.0.0.13"
DATABASE = "10.0.0.20"  # not in the spec: a private service that must stay private
DATABASE_PORT = 5432
UNFORWARDED_PORT = 8080  # every guest listens here; nothing forwards it

# name -> (address, tcp ports, udp ports)
GUESTS: dict[str, tuple[str, tuple[int, ...], tuple[int, ...]]] = {
    "proxy": (PROXY, (80, 443, UNFORWARDED_PORT), ()),
    "livekit": (LIVEKIT, (7881, UNFORWARDED_PORT), (49999, 50000, 55555, 60000, 60001)),
    "backend": (BACKEND, (UNFORWARDED_PORT,), ()),
    "database": (DATABASE, (DATABASE_PORT, UNFORWARDED_PORT), ()),
}


HOST = "ax102"  # the prod stack's Proxmox host, under platform:hosts


def prod_spec() -> PlatformSpec:
    return read_stack_spec(REPO / "Pulumi.prod.yaml")


def rendered_ruleset(spec: PlatformSpec) -> str:
    """``nftables.conf`` exactly as ``python -m components render`` writes it for the host."""
    plan = nat_plan(spec, HOST)
    files = host_files(spec.proxmox_hosts()[HOST], plan)
    (text,) = [f.text for f in files if f.path == "nftables.conf"]
    assert text == nat_ruleset(plan)
    return text


@dataclass
class Topology:
    host: Netns
    inet: Netns
    guests: dict[str, Netns]
    servers: dict[str, Server]
    ruleset: str

    def apply(self, text: str, nat_dir: Path) -> subprocess.CompletedProcess[str]:
        """Run the real apply script in the host namespace, ruleset on stdin."""
        env = {**os.environ, "PLATFORM_NAT_DIR": str(nat_dir)}
        return self.host.exec(
            "sh", "-c", NAT_APPLY_SCRIPT, input=text, env=env, check=False, timeout=20
        )

    def table(self) -> str:
        return self.host.exec("nft", "list", "table", "ip", "platform_nat").stdout

    def rules(self) -> str:
        """The running table without its counter values, to compare two listings."""
        return re.sub(r"counter packets \d+ bytes \d+", "counter", self.table())


def _build(tmp: Path, cleanup: Cleanup) -> Topology:
    spec = prod_spec()
    plan = nat_plan(spec, HOST)
    # The test world is drawn for the prod stack; a config change must show up here first.
    assert (str(plan.public_address), plan.uplink, plan.bridge) == (PUBLIC, "vmbr0", "vmbr1")
    assert (str(plan.gateway), str(plan.subnet)) == (GATEWAY, "10.0.0.0/24")
    assert str(spec.guests["proxy"].address) == PROXY
    assert str(spec.guests["livekit"].address) == LIVEKIT
    assert str(spec.guests["backend"].address) == BACKEND

    suffix = session_suffix()
    host = new_netns("host", suffix, cleanup)
    inet = new_netns("inet", suffix, cleanup)

    # The Proxmox host: uplink bridge with the public address, private bridge for the guests.
    host.ip("link", "add", "vmbr0", "type", "bridge")
    host.ip("link", "add", "vmbr1", "type", "bridge")
    host.ip("addr", "add", f"{PUBLIC}/24", "dev", "vmbr0")
    host.ip("addr", "add", f"{GATEWAY}/24", "dev", "vmbr1")
    host.ip("link", "set", "vmbr0", "up")
    host.ip("link", "set", "vmbr1", "up")
    sysctl = tmp / "99-platform-forwarding.conf"
    sysctl.write_text(SYSCTL_CONF, encoding="utf-8")
    host.exec("sysctl", "-q", "-p", str(sysctl))
    assert host.exec("sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"

    # The physical uplink: a veth whose host end is a port of vmbr0.
    host.ip("link", "add", "uplink0", "type", "veth", "peer", "name", "eth0", "netns", inet.name)
    host.ip("link", "set", "uplink0", "master", "vmbr0", "up")
    inet.ip("addr", "add", f"{INET_ADDRESS}/{INET_PREFIX}", "dev", "eth0")
    inet.ip("link", "set", "eth0", "up")

    guests: dict[str, Netns] = {}
    for name, (address, _, _) in GUESTS.items():
        ns = new_netns(name, suffix, cleanup)
        port = f"veth-{name}"[:15]
        host.ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns.name)
        host.ip("link", "set", port, "master", "vmbr1", "up")
        ns.ip("addr", "add", f"{address}/24", "dev", "eth0")
        ns.ip("link", "set", "eth0", "up")
        ns.ip("route", "add", "default", "via", GATEWAY)
        guests[name] = ns

    servers: dict[str, Server] = {}
    logs = tmp / "logs"
    logs.mkdir()
    for name, (_, tcp_ports, udp_ports) in GUESTS.items():
        servers[name] = start_server(
            guests[name], name, logs, cleanup, tcp_ports=tcp_ports, udp_ports=udp_ports
        )
    servers["inet"] = start_server(inet, "inet", logs, cleanup, tcp_ports=(INET_TCP_PORT,))

    topo = Topology(host, inet, guests, servers, rendered_ruleset(spec))
    result = topo.apply(topo.ruleset, tmp / "etc-platform")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "nat ruleset applied"
    return topo


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    require_root_and_tools()
    cleanup = Cleanup()
    try:
        yield _build(tmp_path_factory.mktemp("nat-netns"), cleanup)
    finally:
        cleanup.run()


def reply(result: dict[str, Any]) -> tuple[str, str, int]:
    """(server name, peer address it saw, its local port) of an answered probe."""
    assert "reply" in result, f"expected an answer, got {result}"
    r = result["reply"]
    return r["name"], r["peer"], r["port"]


def drop_counter(topo: Topology) -> int | None:
    """Packets dropped so far by the forward chain's uplink-to-bridge drop rule, if it exists."""
    match = re.search(
        r'iifname "vmbr0" oifname "vmbr1" counter packets (\d+) bytes \d+ drop', topo.table()
    )
    return int(match.group(1)) if match else None


def guard_drops(topo: Topology) -> int:
    """Packets dropped so far by the uplink guard, all of its rules together."""
    listing = topo.host.exec("nft", "list", "chain", "ip", "platform_nat", "uplink_guard").stdout
    counts = re.findall(r'oifname "vmbr0" counter packets (\d+) bytes \d+ drop', listing)
    assert len(counts) == 4, listing  # 10/8, 172.16/12, 192.168/16, 100.64/10
    return sum(int(c) for c in counts)


def rule_counter(topo: Topology, rule: str) -> int:
    """Packets counted so far by the running table's rule that reads ``rule`` (counter elided)."""
    for line in topo.table().splitlines():
        match = re.search(r"counter packets (\d+) bytes \d+", line)
        if match and line.replace(match.group(0), "counter").strip() == rule:
            return int(match.group(1))
    raise AssertionError(f"no rule {rule!r} in\n{topo.table()}")


INVALID_RULE = 'iifname "vmbr1" ct state invalid,untracked counter drop'
PRIVATE = [IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def private_sources(packets: list[str]) -> list[str]:
    """The captured packets (``SRC.PORT > DST.PORT: ...``) whose source address is private."""
    leaked = []
    for packet in packets:
        source = IPv4Address(".".join(packet.split(" ", 1)[0].split(".")[:4]))
        if any(source in net for net in PRIVATE):
            leaked.append(packet)
    return leaked


def events_from(server: Server, peer: str) -> list[tuple[str, int]]:
    return [(e["proto"], e["port"]) for e in server.events() if e["peer"] == peer]


def test_tcp_80_and_443_reach_the_proxy(topo: Topology) -> None:
    results = topo.inet.probe(tcp(PUBLIC, 80), tcp(PUBLIC, 443))
    # DNAT only: the proxy sees the real client address.
    assert [reply(r) for r in results] == [
        ("proxy", INET_ADDRESS, 80),
        ("proxy", INET_ADDRESS, 443),
    ]


def test_udp_range_and_tcp_7881_reach_livekit(topo: Topology) -> None:
    inside = topo.inet.probe(
        udp(PUBLIC, 50000), udp(PUBLIC, 55555), udp(PUBLIC, 60000), tcp(PUBLIC, 7881)
    )
    assert [reply(r) for r in inside] == [
        ("livekit", INET_ADDRESS, 50000),
        ("livekit", INET_ADDRESS, 55555),
        ("livekit", INET_ADDRESS, 60000),
        ("livekit", INET_ADDRESS, 7881),
    ]

    # Just outside the range: livekit listens there too, yet nobody answers.
    outside = topo.inet.probe(udp(PUBLIC, 49999, timeout=1.5), udp(PUBLIC, 60001, timeout=1.5))
    for result in outside:
        assert "reply" not in result, result
        # The host itself has no listener: ICMP port unreachable (or silence if rate-limited).
        assert result["error"] in ("refused", "timeout"), result
    seen = events_from(topo.servers["livekit"], INET_ADDRESS)
    assert ("udp", 49999) not in seen
    assert ("udp", 60001) not in seen
    # Control: the same listeners do answer inside the private network.
    control = topo.guests["backend"].probe(udp(LIVEKIT, 49999), udp(LIVEKIT, 60001))
    assert [reply(r) for r in control] == [("livekit", BACKEND, 49999), ("livekit", BACKEND, 60001)]


def test_database_and_unforwarded_ports_are_not_reachable_from_outside(topo: Topology) -> None:
    # Control first: the database listens and answers inside the private network.
    (control,) = topo.guests["backend"].probe(tcp(DATABASE, DATABASE_PORT))
    assert reply(control) == ("database", BACKEND, DATABASE_PORT)

    # 5432 and 8080 on the public address are not forwarded: the host itself refuses them.
    db_public, unforwarded = topo.inet.probe(tcp(PUBLIC, DATABASE_PORT), tcp(PUBLIC, 8080))
    assert db_public == {"error": "refused"}
    assert unforwarded == {"error": "refused"}

    # Routing the private subnet through the host does not help: the forward chain drops it.
    dropped_before = drop_counter(topo) or 0
    topo.inet.ip("route", "replace", "10.0.0.0/24", "via", PUBLIC)
    try:
        direct_db, direct_proxy = topo.inet.probe(
            tcp(DATABASE, DATABASE_PORT, timeout=1.5), tcp(PROXY, 443, timeout=1.5)
        )
    finally:
        topo.inet.ip("route", "del", "10.0.0.0/24", "via", PUBLIC)
    assert direct_db == {"error": "timeout"}
    assert direct_proxy == {"error": "timeout"}  # only DNATed connections get in
    dropped_after = drop_counter(topo)
    assert dropped_after is not None, topo.table()
    assert dropped_after - dropped_before >= 2  # both SYNs (and retries), dropped by that rule

    # No guest ever saw the internet client on a port that is not forwarded to it.
    assert events_from(topo.servers["database"], INET_ADDRESS) == []
    for name, server in topo.servers.items():
        assert ("tcp", UNFORWARDED_PORT) not in events_from(server, INET_ADDRESS), name


def test_guests_leave_behind_the_public_address(topo: Topology) -> None:
    results = topo.guests["backend"].probe(tcp(INET_ADDRESS, INET_TCP_PORT))
    assert [reply(r) for r in results] == [("inet", PUBLIC, INET_TCP_PORT)]


def test_hairpin_to_the_public_address_reaches_the_proxy_from_the_host(topo: Topology) -> None:
    # Twice, one after the other: a second connection must take the same path as the first
    # (an ICMP redirect from the host would send it straight to the proxy and break it).
    for _ in range(2):
        (result,) = topo.guests["backend"].probe(tcp(PUBLIC, 443))
        assert reply(result) == ("proxy", GATEWAY, 443)
    (udp_result,) = topo.guests["backend"].probe(udp(PUBLIC, 55555))
    assert reply(udp_result) == ("livekit", GATEWAY, 55555)


def test_the_host_itself_reaches_forwarded_ports(topo: Topology) -> None:
    # The output chain: no masquerade needed, the proxy sees the public address.
    results = topo.host.probe(tcp(PUBLIC, 443), udp(PUBLIC, 50000))
    assert [reply(r) for r in results] == [("proxy", PUBLIC, 443), ("livekit", PUBLIC, 50000)]


def test_apply_is_atomic_and_idempotent(topo: Topology, tmp_path: Path) -> None:
    nat_dir = tmp_path / "etc-platform"
    stored = nat_dir / "nat.nft"
    good = topo.ruleset
    try:
        first = topo.apply(good, nat_dir)
        assert (first.returncode, first.stdout.strip()) == (0, "nat ruleset applied")
        assert stored.read_bytes() == good.encode()
        loaded = topo.rules()

        again = topo.apply(good, nat_dir)
        assert (again.returncode, again.stdout.strip()) == (0, "nat ruleset unchanged")

        # The last rule is corrupted, after `delete table` and every other rule: only a load
        # that is checked and applied as a whole leaves the running table as it was.
        lines = good.splitlines(keepends=True)
        last = max(i for i, line in enumerate(lines) if line.strip() not in ("", "}"))
        lines[last] = lines[last].rstrip("\n") + " no_such_statement\n"
        broken = "".join(lines)
        assert broken != good
        bad = topo.apply(broken, nat_dir)
        assert bad.returncode != 0
        assert "nft -c" in bad.stderr
        assert "nat ruleset applied" not in bad.stdout
        assert stored.read_bytes() == good.encode()
        assert sorted(p.name for p in nat_dir.iterdir()) == ["nat.nft"]  # no temp file left
        assert topo.rules() == loaded

        (result,) = topo.inet.probe(tcp(PUBLIC, 443))
        assert reply(result) == ("proxy", INET_ADDRESS, 443)
    finally:
        # Leave the module's topology with the good ruleset whatever happened above.
        topo.host.exec("nft", "-f", "-", input=good)


@pytest.fixture
def fresh_host() -> Iterator[Netns]:
    require_root_and_tools()
    cleanup = Cleanup()
    try:
        yield new_netns("fresh", session_suffix(), cleanup)
    finally:
        cleanup.run()


def test_ruleset_loads_on_a_fresh_host_with_the_udp_range_as_one_rule(
    fresh_host: Netns, tmp_path: Path
) -> None:
    # A fresh host: no bridges, no table yet. Interface names are matched as strings.
    ruleset = tmp_path / "nftables.conf"
    ruleset.write_text(rendered_ruleset(prod_spec()), encoding="utf-8")
    fresh_host.exec("nft", "-f", str(ruleset))
    fresh_host.exec("nft", "-f", str(ruleset))  # and again, over the existing table

    expected = f'ip daddr {PUBLIC} udp dport 50000-60000 dnat to {LIVEKIT} comment "livekit"'
    for chain in ("prerouting", "output"):
        listing = fresh_host.exec("nft", "list", "chain", "ip", "platform_nat", chain).stdout
        udp_rules = [line.strip() for line in listing.splitlines() if "udp" in line]
        assert udp_rules == [expected], listing  # the whole range, one rule, no expansion
    chains = fresh_host.exec("nft", "list", "chains", "ip").stdout.splitlines()
    names = [line.split()[1] for line in chains if line.strip().startswith("chain ")]
    assert names == ["prerouting", "output", "postrouting", "uplink_guard", "forward", "input"]
    tables = fresh_host.exec("nft", "list", "tables").stdout.split("\n")
    assert [t for t in tables if t] == ["table ip platform_nat"]


def test_untracked_guest_segments_never_leave_with_a_private_source(
    topo: Topology, tmp_path: Path
) -> None:
    # A guest answering a connection the host never tracked: RST, SYN+ACK and FIN+ACK with no
    # connection behind them. Conntrack calls them invalid, so masquerade cannot rewrite them.
    cleanup = Cleanup()
    before = rule_counter(topo, INVALID_RULE)
    try:
        capture = start_capture(topo.inet, "eth0", tmp_path / "uplink.pcap", cleanup)
        sent = topo.guests["backend"].exec(
            PYTHON, str(HERE / "raw_tcp.py"), INET_ADDRESS, str(INET_TCP_PORT), "40001", "R,SA,FA"
        )
        assert sent.stdout.strip() == BACKEND  # built with the guest's own source address
        # Control on the same wire: a real connection leaves behind the public address.
        (control,) = topo.guests["backend"].probe(tcp(INET_ADDRESS, INET_TCP_PORT))
        assert reply(control) == ("inet", PUBLIC, INET_TCP_PORT)
        packets = capture.packets()
    finally:
        cleanup.run()
    assert private_sources(packets) == []
    assert [p for p in packets if p.startswith(f"{PUBLIC}.")], packets  # the capture works
    assert not [p for p in packets if ".40001 >" in p], packets  # not even translated
    assert rule_counter(topo, INVALID_RULE) - before == 3  # each one dropped on the host


def test_a_flow_tracked_before_the_ruleset_cannot_leak_its_private_source(
    topo: Topology, tmp_path: Path
) -> None:
    # While the table is absent (nftables.service flushed the ruleset, say) another table keeps
    # conntrack tracking, as pve-firewall or Docker do, and a guest's flow gets an entry with no
    # NAT binding. Conntrack never adds one later: the guard after source NAT is what stops it.
    cleanup = Cleanup()
    flow = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('0.0.0.0', 40002)); s.settimeout(1.0)\n"
        f"s.sendto(b'media', ('{INET_ADDRESS}', 9100))\n"
        "try:\n    print(s.recv(4096).decode().strip())\n"
        "except TimeoutError:\n    print('timeout')\n"
    )
    try:
        start_server(topo.inet, "inet-udp", tmp_path, cleanup, udp_ports=(9100,))
        topo.host.exec("nft", "delete", "table", "ip", "platform_nat")
        cleanup.push(lambda: topo.host.exec("nft", "-f", "-", input=topo.ruleset))
        tracker = "table ip other {\n chain f {\n type filter hook forward priority 0\n"
        tracker += " ct state new\n }\n}"
        topo.host.exec("nft", "-f", "-", input=tracker)
        cleanup.push(lambda: topo.host.exec("nft", "delete", "table", "ip", "other"))
        topo.inet.ip("route", "replace", "10.0.0.0/24", "via", PUBLIC)
        cleanup.push(lambda: topo.inet.ip("route", "del", "10.0.0.0/24", "via", PUBLIC))

        window = topo.guests["backend"].exec(PYTHON, "-c", flow).stdout.strip()
        assert f'"peer": "{BACKEND}"' in window  # the premise: untranslated, and answered

        topo.host.exec("nft", "-f", "-", input=topo.ruleset)
        capture = start_capture(topo.inet, "eth0", tmp_path / "uplink.pcap", cleanup)
        after = topo.guests["backend"].exec(PYTHON, "-c", flow).stdout.strip()
        (control,) = topo.guests["backend"].probe(tcp(INET_ADDRESS, INET_TCP_PORT))
        assert reply(control) == ("inet", PUBLIC, INET_TCP_PORT)
        packets = capture.packets()
        guarded = guard_drops(topo)  # before the cleanup reloads the table
    finally:
        cleanup.run()
    assert after == "timeout"
    assert private_sources(packets) == []
    assert [p for p in packets if p.startswith(f"{PUBLIC}.")], packets  # the capture works
    assert guarded >= 1  # counted since the table was loaded in this test


def test_guests_cannot_reach_the_hosts_management_ports(topo: Topology, tmp_path: Path) -> None:
    cleanup = Cleanup()
    management = (22, 8006, 3128)
    try:
        host = start_server(topo.host, "host", tmp_path, cleanup, tcp_ports=management)
        # Control: the host listens on all three (reached here from the internet side).
        control = topo.inet.probe(*(tcp(PUBLIC, p) for p in management))
        assert [reply(r) for r in control] == [("host", INET_ADDRESS, p) for p in management]

        guest = topo.guests["backend"]
        aimed = [tcp(address, p) for address in (GATEWAY, PUBLIC) for p in management]
        assert guest.probe(*aimed) == [{"error": "refused"}] * len(aimed)
        assert events_from(host, BACKEND) == []

        # A port the stack opens to guests (the SPICE proxy here) answers them; the rest not.
        opened = nat_ruleset(nat_plan(prod_spec(), HOST), guest_host_ports=frozenset({3128}))
        topo.host.exec("nft", "-f", "-", input=opened)
        spice, ssh, web = guest.probe(tcp(GATEWAY, 3128), tcp(GATEWAY, 22), tcp(PUBLIC, 8006))
        assert reply(spice) == ("host", BACKEND, 3128)
        assert (ssh, web) == ({"error": "refused"}, {"error": "refused"})
    finally:
        topo.host.exec("nft", "-f", "-", input=topo.ruleset)
        cleanup.run()


def test_guest_host_ports_accepts_only_management_ports() -> None:
    plan = nat_plan(prod_spec(), HOST)
    message = "guest_host_ports [5432] are not host management ports; allowed: [22, 3128, 8006]"
    with pytest.raises(ValueError, match=re.escape(message)):
        nat_ruleset(plan, guest_host_ports=frozenset({22, 5432}))
