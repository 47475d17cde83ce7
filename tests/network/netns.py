"""Real network namespaces for the NAT tests: a Proxmox-like host, its guests and an internet.

Nothing here imitates the kernel: namespaces, bridges and veth pairs are made with ``ip``, the
ruleset is loaded with ``nft``, and packets are sent by ``probe_client.py`` and answered by
``echo_server.py`` running inside the namespaces. Every wait is bounded by a timeout.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.tools import require

HERE = Path(__file__).resolve().parent
SERVER = HERE / "echo_server.py"
CLIENT = HERE / "probe_client.py"
PYTHON = sys.executable

# Addresses of the simulated world; the host side comes from the prod spec.
INET_ADDRESS = "203.0.113.20"
INET_PREFIX = 24
INET_TCP_PORT = 9000


def require_root_and_tools() -> None:
    """These tests never skip: without root, ``ip`` or ``nft`` they fail and say what to do."""
    if os.geteuid() != 0:
        pytest.fail(
            "network namespace tests need root; run them with `bash scripts/test.sh` as root",
            pytrace=False,
        )
    require("ip", "nft", "sysctl")


def run(
    argv: Sequence[str], *, check: bool = True, timeout: float = 10.0, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run a command (bounded); with ``check``, fail loudly with its output unless it exits 0."""
    proc = subprocess.run(
        list(argv), check=False, capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)!r} exited {proc.returncode}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
    return proc


@dataclass
class Netns:
    """One named network namespace; ``exec`` runs a command inside it."""

    name: str

    def argv(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *args]

    def exec(
        self, *args: str, check: bool = True, timeout: float = 10.0, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        return run(self.argv(*args), check=check, timeout=timeout, **kwargs)

    def ip(self, *args: str) -> None:
        run(["ip", "-n", self.name, *args])

    def probe(self, *probes: dict[str, Any]) -> list[dict[str, Any]]:
        """Send the probes from this namespace (concurrently) and return one result per probe."""
        longest = max(float(p.get("timeout", 2.0)) for p in probes)
        proc = self.exec(PYTHON, str(CLIENT), json.dumps(list(probes)), timeout=longest + 10)
        results: list[dict[str, Any]] = json.loads(proc.stdout)
        return results


def tcp(host: str, port: int, timeout: float = 2.0) -> dict[str, Any]:
    return {"proto": "tcp", "host": host, "port": port, "timeout": timeout}


def udp(host: str, port: int, timeout: float = 2.0) -> dict[str, Any]:
    return {"proto": "udp", "host": host, "port": port, "timeout": timeout}


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[str]
    log: Path

    def events(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3)


@dataclass
class Cleanup:
    """Undo steps run in reverse order; each one runs even if an earlier one failed."""

    steps: list[Any] = field(default_factory=list)

    def push(self, step: Any) -> None:
        self.steps.append(step)

    def run(self) -> None:
        errors = []
        while self.steps:
            step = self.steps.pop()
            try:
                step()
            except Exception as exc:  # keep tearing down
                errors.append(repr(exc))
        if errors:
            raise RuntimeError("teardown failed: " + "; ".join(errors))


def new_netns(role: str, suffix: str, cleanup: Cleanup) -> Netns:
    ns = Netns(f"pnat-{suffix}-{role}")
    run(["ip", "netns", "add", ns.name])
    cleanup.push(lambda: run(["ip", "netns", "del", ns.name]))
    ns.ip("link", "set", "lo", "up")
    return ns


def session_suffix() -> str:
    return f"{os.getpid()}-{secrets.token_hex(3)}"


def start_server(
    ns: Netns,
    name: str,
    log_dir: Path,
    cleanup: Cleanup,
    *,
    tcp_ports: Sequence[int] = (),
    udp_ports: Sequence[int] = (),
) -> Server:
    """Start ``echo_server.py`` in ``ns`` and wait (bounded) until its sockets are bound."""
    log = log_dir / f"{name}.jsonl"
    argv = ns.argv(
        PYTHON,
        str(SERVER),
        name,
        str(log),
        "--tcp",
        ",".join(map(str, tcp_ports)),
        "--udp",
        ",".join(map(str, udp_ports)),
    )
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = Server(name, proc, log)
    cleanup.push(server.stop)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 5.0)
    line = proc.stdout.readline().strip() if ready else ""
    if line != "ready":
        server.stop()
        stderr = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"server {name} in {ns.name} did not start: {line!r} {stderr}")
    return server


@dataclass
class Capture:
    """``tcpdump`` on one interface of a namespace: what really went over that wire."""

    ns: Netns
    proc: subprocess.Popen[str]
    pcap: Path

    def packets(self) -> list[str]:
        """Stop the capture and return one line per IPv4 packet: ``SRC > DST: ...``."""
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)
        text = run(["tcpdump", "-n", "-r", str(self.pcap), "ip"], timeout=20).stdout
        return [line.split(" IP ", 1)[1] for line in text.splitlines() if " IP " in line]


def start_capture(ns: Netns, interface: str, pcap: Path, cleanup: Cleanup) -> Capture:
    """Capture every frame on ``interface`` into ``pcap``; returns once tcpdump listens."""
    require("tcpdump")
    proc = subprocess.Popen(
        ns.argv("tcpdump", "-i", interface, "-n", "-p", "-U", "--immediate-mode", "-w", str(pcap)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    capture = Capture(ns, proc, pcap)
    cleanup.push(lambda: proc.poll() is not None or (proc.terminate(), proc.wait(timeout=5)))
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], 10.0)
    line = proc.stderr.readline() if ready else ""
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"tcpdump in {ns.name} did not start: {line!r}")
    return capture
