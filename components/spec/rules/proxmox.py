"""Proxmox hosts and their guests: the NAT bridge, the pinned jump host, and guest identity."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING

from ..errors import Problem
from ..partial import parsed
from ..proxmox import RFC1918_NETWORKS, GuestSpec, ProxmoxHostSpec, host_problems
from ._shared import known

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    yield from _hosts(spec)
    yield from _guests(spec)


def _hosts(spec: PlatformSpec) -> Iterator[Problem]:
    for name, host in spec.proxmox_hosts().items():
        # A host that validated passed its own rules; a partial one is judged on what parsed.
        for problem in host_problems(host):
            yield Problem(("hosts", name, *problem.loc), problem.message)
        yield from _nat_bridge(name, host)
        engines = sorted(guest for guest in spec.guests_of(name) if spec.services_on(guest))
        if engines and parsed(host, "sshHostKey") and host.sshHostKey is None:
            yield Problem(
                ("hosts", name, "sshHostKey"),
                f"is required: the Docker engines of {', '.join(engines)} are reached through "
                f"{name} as SSH jump host, and an unpinned jump would accept any key; set it to "
                "the content of the host's /etc/ssh/ssh_host_ed25519_key.pub",
            )


def _nat_bridge(name: str, host: ProxmoxHostSpec) -> Iterator[Problem]:
    if not parsed(host, "natBridge"):
        return
    bridge = host.natBridge
    at: tuple[str | int, ...] = ("hosts", name, "natBridge")
    if bridge.subnet.prefixlen > 30:
        yield Problem(
            (*at, "address"), f"{bridge.address} leaves no room for guests; use /30 or wider"
        )
    elif (kind := _reserved_kind(bridge.gateway, bridge.subnet)) is not None:
        yield Problem(
            (*at, "address"),
            f"{bridge.address} uses the {kind} address of {bridge.subnet}; use a host address "
            f"such as {bridge.subnet.network_address + 1}/{bridge.subnet.prefixlen}",
        )
    if not any(bridge.subnet.subnet_of(net) for net in RFC1918_NETWORKS):
        yield Problem(
            (*at, "address"),
            f"{bridge.subnet} is not a private network; use an RFC 1918 range such as 10.0.0.0/24",
        )
    if parsed(host, "uplinkBridge") and bridge.name == host.uplinkBridge:
        yield Problem(
            (*at, "name"),
            f"{bridge.name} is the uplink bridge; the NAT bridge must be a separate bridge",
        )
    if parsed(host, "publicAddress") and host.publicAddress in bridge.subnet:
        yield Problem(
            ("hosts", name, "publicAddress"),
            f"{host.publicAddress} is inside the NAT bridge subnet {bridge.subnet}; the public "
            f"address must lie outside it: move platform:hosts.{name}.natBridge.address to "
            "another private range",
        )


def _reserved_kind(address: IPv4Address, subnet: IPv4Network) -> str | None:
    if address == subnet.network_address:
        return "network"
    if address == subnet.broadcast_address:
        return "broadcast"
    return None


def _guests(spec: PlatformSpec) -> Iterator[Problem]:
    seen: dict[tuple[str, str, object], str] = {}
    for name, guest in spec.guests.items():
        if not parsed(guest, "host"):
            continue  # which guests it must not collide with depends on its host
        host = spec.hosts.get(guest.host)
        if isinstance(host, ProxmoxHostSpec):
            yield from _guest_address(name, guest, host)
        elif not (host is None and spec.declared("hosts", guest.host)):
            proxmox = known(spec.proxmox_hosts())
            what = "is not a host" if host is None else f"is a {host.kind} host, not proxmox"
            yield Problem(
                ("guests", name, "host"),
                f"{guest.host} {what}; guests run on a Proxmox host: {proxmox}",
            )
            continue
        # A host that failed its own validation still has guests that must not collide.
        for key in ("address", "vmId", "hostname"):
            if not parsed(guest, key):
                continue
            value = spec.hostname_of(name) if key == "hostname" else getattr(guest, key)
            owner = seen.setdefault((guest.host, key, value), name)
            if owner != name:
                mine = " (the guest name)" if key == "hostname" and not guest.hostname else ""
                yield Problem(
                    ("guests", name, key),
                    f"{value}{mine} is already the {key} of platform:guests.{owner} on host "
                    f"{guest.host}; each guest needs its own {key}",
                )


def _guest_address(name: str, guest: GuestSpec, host: ProxmoxHostSpec) -> Iterator[Problem]:
    if not (parsed(guest, "address") and parsed(host, "natBridge")):
        return
    subnet, gateway = host.natBridge.subnet, host.natBridge.gateway
    loc = ("guests", name, "address")
    if guest.address not in subnet:
        yield Problem(loc, f"{guest.address} is outside the NAT bridge subnet {subnet}")
    elif guest.address == gateway:
        yield Problem(
            loc, f"{guest.address} is the NAT bridge gateway; pick another address in {subnet}"
        )
    elif (kind := _reserved_kind(guest.address, subnet)) is not None:
        yield Problem(
            loc,
            f"{guest.address} is the {kind} address of {subnet}; pick a host address between "
            f"{subnet.network_address + 1} and {subnet.broadcast_address - 1}, other than the "
            f"gateway {gateway}",
        )
