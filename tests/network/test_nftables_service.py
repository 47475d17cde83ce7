"""The NAT table survives Debian's nftables.service: start, reload, stop, a failed start, reboot.

systemd is not PID 1 on the test machines (and ``systemd --test`` does not run there), so the
units are not started by systemd. Instead the test reads Debian's real unit
(``/lib/systemd/system/nftables.service`` of the installed nftables package) and the rendered
drop-in and NAT unit, takes their ``Exec*=`` command lines with systemd's list rules (each
assignment appends, an empty one resets; drop-ins after the unit, in name order), and runs
them with the real ``nft`` in a fresh network namespace, in the order systemd runs a oneshot
unit's commands (systemd.service(5)): start = ExecStart then ExecStartPost, and ExecStopPost
when one of them failed; reload = ExecReload; stop = ExecStop then ExecStopPost. The only
change to a command line is the NAT directory, pointed at a temporary one.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.render import NAT_APPLY_SCRIPT, NAT_DIR
from components.render.host_files import NAT_UNIT_TEXT, NFTABLES_DROPIN_TEXT

from .netns import Cleanup, Netns, new_netns, require_root_and_tools, run, session_suffix
from .test_nat_netns import prod_spec, rendered_ruleset

pytestmark = pytest.mark.netns

DEBIAN_UNIT = Path("/lib/systemd/system/nftables.service")
DEBIAN_CONF = Path("/etc/nftables.conf")
EXEC_KEYS = ("ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost")


def exec_lines(unit: str, dropins: list[str]) -> dict[str, list[str]]:
    """The ``Exec*=`` lists of a unit and its drop-ins, as systemd assembles them."""
    lists: dict[str, list[str]] = {key: [] for key in EXEC_KEYS}
    for text in (unit, *dropins):
        for raw in text.splitlines():
            key, sep, value = raw.strip().partition("=")
            if not sep or key not in lists:
                continue
            if value.strip():
                lists[key].append(value.strip())
            else:
                lists[key].clear()
    return lists


def unit_setting(unit: str, section: str, key: str) -> list[str]:
    values: list[str] = []
    current = ""
    for raw in unit.splitlines():
        line = raw.strip()
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section and line.startswith(f"{key}="):
            values += line.split("=", 1)[1].split()
    return values


@dataclass
class Host:
    """A namespace standing in for the host, with the NAT directory at ``nat_dir``."""

    ns: Netns
    nat_dir: Path

    def run_command(self, line: str) -> bool:
        """One ``Exec*=`` line (systemd prefixes honoured: ``-`` ignores failure)."""
        ignore_failure = line.startswith("-")
        command = line.lstrip("-@:+!").replace(NAT_DIR, str(self.nat_dir))
        result = self.ns.exec(*shlex.split(command), check=False, timeout=20)
        return ignore_failure or result.returncode == 0

    def start(self, lists: dict[str, list[str]]) -> bool:
        ok = all(self.run_command(line) for line in lists["ExecStart"]) and all(
            self.run_command(line) for line in lists["ExecStartPost"]
        )
        if not ok:  # a failed start: systemd still runs ExecStopPost
            for line in lists["ExecStopPost"]:
                self.run_command(line)
        return ok

    def reload(self, lists: dict[str, list[str]]) -> bool:
        return all(self.run_command(line) for line in lists["ExecReload"])

    def stop(self, lists: dict[str, list[str]]) -> bool:
        stopped = all(self.run_command(line) for line in lists["ExecStop"])
        return all([stopped, *(self.run_command(line) for line in lists["ExecStopPost"])])

    def tables(self) -> list[str]:
        listing = self.ns.exec("nft", "list", "tables").stdout
        return [line.strip() for line in listing.splitlines() if line.strip()]

    def nat_table(self) -> str:
        return self.ns.exec("nft", "list", "table", "ip", "platform_nat").stdout


def debian_unit() -> str:
    owner = run(["dpkg", "-S", str(DEBIAN_UNIT)], check=False)
    if owner.returncode != 0 or not owner.stdout.startswith("nftables:"):
        pytest.fail(
            f"{DEBIAN_UNIT} of the Debian nftables package is missing; run `bash scripts/test.sh`",
            pytrace=False,
        )
    return DEBIAN_UNIT.read_text(encoding="utf-8")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    require_root_and_tools()
    cleanup = Cleanup()
    try:
        ns = new_netns("svc", session_suffix(), cleanup)
        nat_dir = tmp_path / "etc-platform"
        env = {**os.environ, "PLATFORM_NAT_DIR": str(nat_dir)}
        applied = ns.exec(
            "sh", "-c", NAT_APPLY_SCRIPT, input=rendered_ruleset(prod_spec()), env=env
        )
        assert applied.stdout.strip() == "nat ruleset applied"
        yield Host(ns, nat_dir)
    finally:
        cleanup.run()


def test_debian_unit_and_config_flush_every_table() -> None:
    # The premise, read from Debian's own files: start and reload load a file that begins with
    # `flush ruleset`, and stop flushes the ruleset.
    lists = exec_lines(debian_unit(), [])
    assert lists["ExecStart"] == ["/usr/sbin/nft -f /etc/nftables.conf"]
    assert lists["ExecReload"] == ["/usr/sbin/nft -f /etc/nftables.conf"]
    assert lists["ExecStop"] == ["/usr/sbin/nft flush ruleset"]
    statements = [
        line.strip()
        for line in DEBIAN_CONF.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert statements[0] == "flush ruleset"


def test_without_the_drop_in_each_action_removes_the_nat_table(host: Host) -> None:
    # Control: the same commands without our drop-in lose the table every time.
    lists = exec_lines(debian_unit(), [])
    for action in (host.start, host.reload, host.stop):
        host.ns.exec("nft", "-f", str(host.nat_dir / "nat.nft"))
        assert "table ip platform_nat" in host.tables()
        assert action(lists)
        assert "table ip platform_nat" not in host.tables(), action.__name__


def test_the_nat_table_survives_start_reload_and_stop(host: Host) -> None:
    lists = exec_lines(debian_unit(), [NFTABLES_DROPIN_TEXT])
    loaded = host.nat_table()
    assert host.start(lists)
    assert host.tables() == ["table inet filter", "table ip platform_nat"]
    assert host.nat_table() == loaded
    assert host.reload(lists)
    assert host.tables() == ["table inet filter", "table ip platform_nat"]
    assert host.nat_table() == loaded
    assert host.stop(lists)
    assert host.tables() == ["table ip platform_nat"]  # Debian's table is gone, ours is not
    assert host.nat_table() == loaded


def test_the_nat_table_survives_a_failed_start(host: Host, tmp_path: Path) -> None:
    # A broken /etc/nftables.conf: the start fails, and ExecStopPost still restores the table.
    broken = tmp_path / "nftables.conf"
    broken.write_text("flush ruleset\ntable inet filter { no_such_thing }\n", encoding="utf-8")
    unit = debian_unit().replace(str(DEBIAN_CONF), str(broken))
    lists = exec_lines(unit, [NFTABLES_DROPIN_TEXT])
    loaded = host.nat_table()
    host.ns.exec("nft", "flush", "ruleset")  # whatever happened before the failed start
    assert not host.start(lists)
    assert host.tables() == ["table ip platform_nat"]
    assert host.nat_table() == loaded


def test_a_host_prepared_without_a_ruleset_keeps_nftables_service_working(
    host: Host, tmp_path: Path
) -> None:
    # prepare-host installs the drop-in before the first ruleset exists: nothing may fail then.
    empty = Host(host.ns, tmp_path / "no-ruleset-yet")
    lists = exec_lines(debian_unit(), [NFTABLES_DROPIN_TEXT])
    assert empty.start(lists)
    assert empty.reload(lists)
    assert empty.stop(lists)


@pytest.mark.parametrize("first", ["nftables.service", "platform-nat.service"])
def test_the_nat_table_is_back_after_a_reboot(host: Host, first: str) -> None:
    # A reboot: an empty ruleset, then both units start. platform-nat.service is ordered after
    # nftables.service; with the drop-in, even the opposite order ends with the table loaded.
    assert unit_setting(NAT_UNIT_TEXT, "Unit", "After") == ["nftables.service"]
    assert unit_setting(NAT_UNIT_TEXT, "Install", "WantedBy") == ["sysinit.target"]
    loaded = host.nat_table()
    host.ns.exec("nft", "flush", "ruleset")
    assert host.tables() == []
    units = {
        "nftables.service": exec_lines(debian_unit(), [NFTABLES_DROPIN_TEXT]),
        "platform-nat.service": exec_lines(NAT_UNIT_TEXT, []),
    }
    order = [first, *(u for u in units if u != first)]
    for unit in order:
        assert host.start(units[unit]), unit
    assert host.tables() == ["table inet filter", "table ip platform_nat"]
    assert host.nat_table() == loaded


def test_the_systemd_units_verify_with_the_drop_in(tmp_path: Path) -> None:
    # systemd's own parser over Debian's unit with our drop-in, and our unit; a broken key in
    # the drop-in is reported, so the drop-in is really read.
    units = tmp_path / "units"
    (units / "nftables.service.d").mkdir(parents=True)
    (units / "nftables.service").write_text(debian_unit(), encoding="utf-8")
    dropin = units / "nftables.service.d" / "platform-nat.conf"
    (units / "platform-nat.service").write_text(NAT_UNIT_TEXT, encoding="utf-8")

    def verify() -> subprocess.CompletedProcess[str]:
        return run(
            [
                "systemd-analyze",
                "verify",
                "--man=no",
                str(units / "nftables.service"),
                str(units / "platform-nat.service"),
            ],
            check=False,
            env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"},
            cwd=units,
        )

    dropin.write_text(NFTABLES_DROPIN_TEXT, encoding="utf-8")
    good = verify()
    assert (good.returncode, good.stderr) == (0, "")
    dropin.write_text(NFTABLES_DROPIN_TEXT + "NoSuchKey=1\n", encoding="utf-8")
    assert "NoSuchKey" in verify().stderr
