"""Host preparation checks the uplink first: hosts built to pass and hosts built to fail.

Each case is a fresh network namespace set up with ``ip`` like a Proxmox host (the uplink bridge
``vmbr0`` with a physical port, maybe a second interface). The rendered preparation script
runs in it; on a host that fails a check it must stop before writing anything, which runs in
a private mount namespace whose /etc/sysctl.d and /etc/systemd/system are empty tmpfs mounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from ipaddress import IPv4Address

import pytest

from components.render.host_files import prepare_host_script, uplink_check_script

from .netns import Cleanup, Netns, new_netns, require_root_and_tools, session_suffix

pytestmark = pytest.mark.netns

PUBLIC = IPv4Address("203.0.113.10")
ROUTER = "203.0.113.1"
CHECK = "set -eu\n" + uplink_check_script("vmbr0", PUBLIC)
STOPPED = "host preparation stopped: the uplink is not as the stack describes it:"


def _nic(ns: Netns, name: str) -> None:
    """A network card stand-in: a veth whose other end is up too, so the link has carrier."""
    ns.ip("link", "add", name, "type", "veth", "peer", "name", f"{name}-wire")
    ns.ip("link", "set", f"{name}-wire", "up")
    ns.ip("link", "set", name, "up")


def _bridge(ns: Netns, name: str, port: str) -> None:
    ns.ip("link", "add", name, "type", "bridge")
    _nic(ns, port)  # the physical port
    ns.ip("link", "set", port, "master", name, "up")
    ns.ip("link", "set", name, "up")


def good_host(ns: Netns) -> None:
    _bridge(ns, "vmbr0", "enp5s0")
    ns.ip("addr", "add", f"{PUBLIC}/26", "dev", "vmbr0")
    ns.ip("route", "add", "default", "via", ROUTER, "dev", "vmbr0", "onlink")


def address_elsewhere(ns: Netns) -> None:
    # The public address sits on the NIC itself (a host set up without the bridge as uplink).
    _bridge(ns, "vmbr0", "enp5s0")
    _nic(ns, "eno1")
    ns.ip("addr", "add", "192.0.2.5/24", "dev", "vmbr0")
    ns.ip("addr", "add", f"{PUBLIC}/26", "dev", "eno1")
    ns.ip("route", "add", "default", "via", ROUTER, "dev", "eno1", "onlink")


def route_elsewhere(ns: Netns) -> None:
    good_host(ns)
    _nic(ns, "wg0")
    ns.ip("route", "replace", "default", "dev", "wg0")


def no_default_route(ns: Netns) -> None:
    _bridge(ns, "vmbr0", "enp5s0")
    ns.ip("addr", "add", f"{PUBLIC}/26", "dev", "vmbr0")


def no_uplink_bridge(ns: Netns) -> None:
    _nic(ns, "eno1")
    ns.ip("addr", "add", f"{PUBLIC}/26", "dev", "eno1")
    ns.ip("route", "add", "default", "via", ROUTER, "dev", "eno1", "onlink")


@pytest.fixture
def make_host() -> Iterator[Callable[[Callable[[Netns], None]], Netns]]:
    require_root_and_tools()
    cleanup = Cleanup()
    suffix = session_suffix()
    count = 0

    def make(build: Callable[[Netns], None]) -> Netns:
        nonlocal count
        count += 1
        ns = new_netns(f"up{count}", suffix, cleanup)
        build(ns)
        return ns

    try:
        yield make
    finally:
        cleanup.run()


def test_a_host_as_described_passes(make_host: Callable[[Callable[[Netns], None]], Netns]) -> None:
    result = make_host(good_host).exec("sh", "-c", CHECK, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("build", "problems"),
    [
        pytest.param(
            address_elsewhere,
            [
                "- the public address 203.0.113.10 is not on the uplink bridge vmbr0 "
                "(it has: 192.0.2.5)",
                "- the default route leaves through eno1, not the uplink bridge vmbr0 "
                "(default via 203.0.113.1 dev eno1 onlink )",
            ],
            id="address-and-route-on-the-nic",
        ),
        pytest.param(
            route_elsewhere,
            [
                "- the default route leaves through wg0, not the uplink bridge vmbr0 "
                "(default dev wg0 scope link )"
            ],
            id="route-through-another-interface",
        ),
        pytest.param(
            no_default_route,
            ["- the host has no IPv4 default route; it must leave through the uplink bridge vmbr0"],
            id="no-default-route",
        ),
        pytest.param(
            no_uplink_bridge,
            [
                "- the uplink bridge vmbr0 does not exist (uplinkBridge names the bridge holding "
                "the physical",
                "  port and the public address)",
                "- the default route leaves through eno1, not the uplink bridge vmbr0 "
                "(default via 203.0.113.1 dev eno1 onlink )",
            ],
            id="no-uplink-bridge",
        ),
    ],
)
def test_a_host_that_differs_stops_with_every_problem(
    make_host: Callable[[Callable[[Netns], None]], Netns],
    build: Callable[[Netns], None],
    problems: list[str],
) -> None:
    result = make_host(build).exec("sh", "-c", CHECK, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [STOPPED, *problems]


def test_preparation_changes_nothing_on_a_host_that_fails(
    make_host: Callable[[Callable[[Netns], None]], Netns],
) -> None:
    ns = make_host(address_elsewhere)
    forwarding = ns.exec("sysctl", "-n", "net.ipv4.ip_forward").stdout.strip()
    # The whole rendered script, with the directories it writes replaced by empty tmpfs mounts
    # in a private mount namespace; they are listed after it ran.
    wrapper = (
        "mount -t tmpfs none /etc/sysctl.d && mount -t tmpfs none /etc/systemd/system && "
        'sh -c "$1"; status=$?; ls -A /etc/sysctl.d /etc/systemd/system; exit $status'
    )
    script = prepare_host_script("vmbr0", PUBLIC)
    result = ns.exec("unshare", "--mount", "sh", "-c", wrapper, "wrapper", script, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == STOPPED
    assert result.stdout.split() == ["/etc/sysctl.d:", "/etc/systemd/system:"]  # both empty
    assert ns.exec("sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == forwarding
