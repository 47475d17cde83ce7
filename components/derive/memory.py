"""Whether each machine's memory holds the memory limits of every container planned on it.

Docker limits are ceilings, not reservations, but a machine whose containers may together take
more than it has ends with the kernel's OOM killer choosing the victim. The sum counts the
planned containers (the stack's services, the monitoring set and its exporters, the apps'
sidecars) from the plan, so what the stack adds is counted as it is declared.

A machine's memory: a Proxmox guest's ``memoryMb``; a droplet's size slug, which names it
(``s-4vcpu-8gb``: DigitalOcean's slugs end in the memory, then any disk or CPU suffix); a
Hetzner Cloud server type from ``HCLOUD_MEMORY_GB``. An existing server (``ssh``) declares
none, and a slug or type not known here is not checked: the plan cannot tell.

The containers get the machine's memory less a reserve for the system, ``reservedMemoryMb`` or
RESERVE_MB / RESERVE_SHARE (docs/monitoring.md#sizing): the nominal size is not what a
container may take.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from components.spec import GuestSpec, PlatformSpec, Problem
from components.spec.hosts import DropletHostSpec, HcloudHostSpec

# Hetzner Cloud's server types and their memory in GB (Hetzner's price list, as mirrored in
# docs.cnap.tech/compute/providers/hetzner "Instance types": cx23 4, cx33 8, cx43 16, cax11 4,
# cax21 8, cax31 16, cpx22 4, cpx32 8; docs.vdhome.be/reference/costs: cx53 32 GB).
HCLOUD_MEMORY_GB = {
    "cx23": 4,
    "cx33": 8,
    "cx43": 16,
    "cx53": 32,
    "cax11": 4,
    "cax21": 8,
    "cax31": 16,
    "cpx22": 4,
    "cpx32": 8,
}
# The default reserve: the larger of these two. What a machine needs besides the containers,
# none of it under a container's limit: the kernel's own (a VM's MemTotal is already below its
# nominal size, and page tables, slab and the network stack grow with it), systemd, journald and
# sshd (~100 MiB), dockerd (~100 MiB RSS) and containerd (~45 MiB RSS, both measured on Debian's
# docker.io with no container running) plus a containerd-shim per container, and the nightly
# restic jobs, which hold the repository's index in memory (~300 MiB for a backup,
# restic/restic#450; it grows with the repository). A share for the larger machines, as the
# managed Kubernetes services reserve one (GKE, AKS: 10% of the memory between 8 and 16 GiB).
RESERVE_MB = 768
RESERVE_SHARE = 0.10
_DROPLET_MEMORY = re.compile(r"-(\d+)(gb|mb)(?:-|$)")
# The services named in a message: the largest first, at most this many.
LARGEST = 4


def droplet_memory_mb(size: str) -> int | None:
    """The memory a droplet size slug names, in MiB; None for a slug that names none."""
    match = _DROPLET_MEMORY.search(size)
    if match is None:
        return None
    amount = int(match.group(1))
    return amount * 1024 if match.group(2) == "gb" else amount


def machine_memory(
    spec: PlatformSpec, machine: str
) -> tuple[tuple[str | int, ...], str, int] | None:
    """``(config path, what, MiB)`` of ``machine``'s memory, or None when the stack cannot tell."""
    guest: GuestSpec | None = spec.guests.get(machine)
    if guest is not None:
        return ("guests", machine, "memoryMb"), f"{guest.memoryMb} MiB", guest.memoryMb
    host = spec.hosts.get(machine)
    if isinstance(host, DropletHostSpec):
        memory = droplet_memory_mb(host.size)
        if memory is not None:
            return ("hosts", machine, "size"), f"{host.size} ({memory} MiB)", memory
    if isinstance(host, HcloudHostSpec) and host.serverType in HCLOUD_MEMORY_GB:
        memory = HCLOUD_MEMORY_GB[host.serverType] * 1024
        return ("hosts", machine, "serverType"), f"{host.serverType} ({memory} MiB)", memory
    return None


def reserved_memory_mb(spec: PlatformSpec, machine: str, memory: int) -> int:
    """The memory kept out of ``machine``'s containers' limits: its ``reservedMemoryMb``, or
    the default reserve of a machine of ``memory`` MiB."""
    given = spec.guests[machine] if machine in spec.guests else spec.hosts.get(machine)
    reserved = getattr(given, "reservedMemoryMb", None)
    return reserved if reserved is not None else max(RESERVE_MB, round(memory * RESERVE_SHARE))


def memory_problems(
    spec: PlatformSpec, limits: Iterable[tuple[str, str, int]], monitoring: str | None
) -> Iterator[Problem]:
    """One problem per machine whose containers' limits (``(container, machine, MiB)``) exceed
    its memory; ``monitoring`` is the monitoring set's machine, whose limits the hint names."""
    per_machine: dict[str, dict[str, int]] = {}
    for name, machine, memory in limits:
        per_machine.setdefault(machine, {})[name] = memory
    for machine, containers in sorted(per_machine.items()):
        known = machine_memory(spec, machine)
        if known is None:
            continue
        loc, what, memory = known
        reserved = reserved_memory_mb(spec, machine, memory)
        total = sum(containers.values())
        if total <= memory - reserved:
            continue
        yield Problem(
            loc,
            _message(
                machine,
                what,
                reserved=reserved,
                total=total,
                containers=containers,
                monitored=machine == monitoring,
            ),
        )


def _message(
    machine: str,
    what: str,
    *,
    reserved: int,
    total: int,
    containers: Mapping[str, int],
    monitored: bool,
) -> str:
    largest = sorted(containers.items(), key=lambda item: (-item[1], item[0]))[:LARGEST]
    named = ", ".join(f"{name} {memory}" for name, memory in largest)
    hint = " or platform:monitoring.resources" if monitored else ""
    return (
        f"{what} less {reserved} MiB reserved for the system (kernel, dockerd, sshd, the "
        f"backup jobs; reservedMemoryMb) is less than the memory limits of the containers on "
        f"{machine}, {total} MiB in all (the largest: {named}); give {machine} more memory, "
        f"or its services smaller resources.memoryMb{hint}"
    )
