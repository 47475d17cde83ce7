"""platform:monitoring: its machine and network, its receivers, the names and the reach of the
services it adds (components/derive/monitoring.py).

Prometheus reaches exporters on its own machine by alias, and on other guests of its Proxmox
host over the NAT bridge; any other machine (another host, a cloud server) is out of reach and
refused here rather than scraped at an address that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from components import names

from ..errors import Problem
from ..hosts import CloudServerSpec
from ..partial import parsed
from ._shared import known

if TYPE_CHECKING:
    from ..monitoring import MonitoringSpec
    from ..platform import PlatformSpec

RECEIVER_KINDS = ("webhook", "slack", "email")


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    if not parsed(spec, "monitoring") or spec.monitoring is None:
        return
    monitoring = spec.monitoring
    yield from _receivers(monitoring)
    if parsed(monitoring, "network"):
        network = spec.networks.get(monitoring.network)
        if network is None and not spec.declared("networks", monitoring.network):
            yield Problem(
                ("monitoring", "network"),
                f"{monitoring.network} is not a network; known networks: {known(spec.networks)}",
            )
        elif network is not None and parsed(network, "internal") and network.internal:
            yield Problem(
                ("monitoring", "network"),
                f"{monitoring.network} is internal; the monitoring set probes the public routes "
                "and notifies receivers on the internet: use a network that is not internal",
            )
    if not parsed(monitoring, "machine"):
        return
    machine = monitoring.machine
    if machine not in spec.machines():
        yield Problem(
            ("monitoring", "machine"),
            f"{machine} is not a guest or a Docker host; known: {known(spec.machines())}",
        )
        return
    yield from _names(spec, monitoring)
    yield from _ports(spec, machine)
    yield from _pgbouncer_logins(spec)
    yield from _retention_disk(spec, monitoring)
    if spec.proxy is None or not parsed(spec, "proxy"):
        yield Problem(
            ("monitoring", "grafana", "host"),
            "Grafana is reached through the stack's proxy only: declare platform:proxy",
        )
    # A service on an unknown machine is reported on its own.
    watched = sorted(
        {s.machine for s in spec.services.values() if parsed(s, "machine")} & set(spec.machines())
    )
    for other in watched:
        if other != machine and not _same_bridge(spec, machine, other):
            yield Problem(
                ("monitoring", "machine"),
                f"the monitoring set on {machine} cannot scrape {other}: Prometheus reaches its "
                "own machine and the other guests of its Proxmox host only",
            )


def _pgbouncer_logins(spec: PlatformSpec) -> Iterator[Problem]:
    """The pgBouncer exporter logs in to the console as a stats user of the app's auth_file,
    next to pgBouncer on the networks it shares with its clients: a pgBouncer without either
    would be a target that never comes up."""
    from components.apps import exporters, pgbouncer  # noqa: PLC0415 -- spec loads first

    for name, service in spec.services.items():
        if not parsed(service, "image", "app"):
            continue
        if exporters.database_exporter_of(service) is not exporters.PGBOUNCER:
            continue
        app = service.app
        if not isinstance(app, pgbouncer.Spec):
            yield Problem(
                ("services", name, "app"),
                f"{service.image} is scraped by platform:monitoring's pgBouncer exporter, which "
                "logs in as a stats user: configure it as {kind: pgbouncer, ..., statsUsers: "
                "[a user of users]} (components/apps/pgbouncer.py)",
            )
            continue
        if parsed(app, "statsUsers") and not app.statsUsers:
            yield Problem(
                ("services", name, "app", "statsUsers"),
                "names no user; platform:monitoring's pgBouncer exporter logs in to the console "
                "as the first stats user: name a user of users",
            )
        if (
            parsed(service, "networks")
            and all(parsed(s, "networks") for s in spec.services.values())
            and not pgbouncer.client_networks(name, spec.services)
        ):
            yield Problem(
                ("services", name, "networks"),
                f"{', '.join(service.networks) or '(none)'}: no network that pgBouncer shares with "
                "a client (a service other than the servers it pools); platform:monitoring's "
                "exporter joins only those, never the servers' networks or pgBouncer's way out",
            )


def _retention_disk(spec: PlatformSpec, monitoring: MonitoringSpec) -> Iterator[Problem]:
    """Prometheus's size limit must leave room on the disk its volume lives on: a guest's root
    disk, or a cloud server's volume for Docker's data (an existing server's disk is unknown).
    Prometheus counts blocks, the WAL and the head's chunks in it (--storage.tsdb.retention.size,
    base-2 units like the disks')."""
    if not parsed(monitoring, "retention") or not parsed(monitoring.retention, "sizeGb"):
        return
    size = monitoring.retention.sizeGb
    machine = monitoring.machine
    guest = spec.guests.get(machine)
    host = spec.hosts.get(machine)
    if guest is not None and parsed(guest, "diskGb"):
        disk, where = guest.diskGb, f"platform:guests.{machine}.diskGb"
    elif isinstance(host, CloudServerSpec) and parsed(host, "dataVolumeGb") and host.dataVolumeGb:
        disk, where = host.dataVolumeGb, f"platform:hosts.{machine}.dataVolumeGb"
    else:
        return
    if size is not None and size >= disk:
        yield Problem(
            ("monitoring", "retention", "sizeGb"),
            f"{size} GB is not less than the {disk} GB disk Prometheus's volume is on ({where}), "
            "which holds every other container's data too; give a smaller size or a larger disk",
        )


def _same_bridge(spec: PlatformSpec, first: str, second: str) -> bool:
    if not (spec.is_guest(first) and spec.is_guest(second)):
        return False
    return spec.known_host_of(first) == spec.known_host_of(second) is not None


def _receivers(monitoring: MonitoringSpec) -> Iterator[Problem]:
    if not parsed(monitoring, "receivers"):
        return
    receivers = monitoring.receivers
    for name, receiver in receivers.items():
        kinds = [k for k in RECEIVER_KINDS if parsed(receiver, k) and getattr(receiver, k)]
        if len(kinds) != 1:
            yield Problem(
                ("monitoring", "receivers", name),
                f"has {', '.join(kinds) or 'no kind'}; a receiver is exactly one of "
                f"{', '.join(RECEIVER_KINDS)}",
            )
    named: list[tuple[tuple[str | int, ...], str]] = []
    for field in ("defaultReceiver", "heartbeatReceiver"):
        if parsed(monitoring, field):
            named.append(((field,), getattr(monitoring, field)))
    if parsed(monitoring, "routes"):
        named += [(("routes", i, "receiver"), r.receiver) for i, r in enumerate(monitoring.routes)]
    for loc, wanted in named:
        if wanted not in receivers:
            yield Problem(
                ("monitoring", *loc),
                f"{wanted} is not a receiver; known receivers: {known(receivers)}",
            )
    if (
        parsed(monitoring, "defaultReceiver", "heartbeatReceiver")
        and monitoring.defaultReceiver == monitoring.heartbeatReceiver
    ):
        yield Problem(
            ("monitoring", "heartbeatReceiver"),
            f"{monitoring.heartbeatReceiver} is also the default receiver; the dead-man's "
            "switch fires all the time, so it needs a receiver of its own",
        )


def _names(spec: PlatformSpec, monitoring: MonitoringSpec) -> Iterator[Problem]:
    machines = {s.machine for s in spec.services.values() if parsed(s, "machine")}
    added = [*names.MONITORING_SET]
    for machine in sorted(machines | {monitoring.machine}):
        added += [names.node_exporter(machine), names.cadvisor(machine)]
    from components.apps.exporters import database_exporter_of  # noqa: PLC0415 -- spec loads first

    added += [
        names.database_exporter(name)
        for name, service in spec.services.items()
        if parsed(service, "image") and database_exporter_of(service) is not None
    ]
    for name in added:
        if name in spec.services:
            yield Problem(
                ("services", name),
                f"{name} is a name platform:monitoring gives one of the services it adds; "
                "rename this service",
            )


def _ports(spec: PlatformSpec, home: str) -> Iterator[Problem]:
    """The exporters on another guest publish their port on its address: a service's own
    publication of that port there would clash."""
    from components.apps import exporters  # noqa: PLC0415 -- spec loads first

    held: dict[str, dict[int, str]] = {}
    for name, service in spec.services.items():
        if not parsed(service, "machine", "image") or service.machine == home:
            continue
        ports = held.setdefault(
            service.machine,
            {exporters.NODE_EXPORTER_PORT: "node exporter", exporters.CADVISOR_PORT: "cAdvisor"},
        )
        kind = exporters.database_exporter_of(service)
        if kind is not None and kind.image is not None:
            ports[kind.port] = f"exporter of {name}"
    for name, service in spec.services.items():
        if not parsed(service, "machine") or service.machine not in held:
            continue
        for item in spec.publications(name):
            taken = [
                (port, what)
                for port, what in held[service.machine].items()
                if item.protocol == "tcp" and item.ports.start <= port <= item.ports.end
            ]
            for port, what in taken:
                yield Problem(
                    item.loc,
                    f"tcp {port} on {service.machine} is where platform:monitoring's {what} "
                    "publishes its metrics for the monitoring machine; use another port",
                )
