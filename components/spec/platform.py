"""The whole ``platform`` namespace of a stack, and its topology: which machine runs what.

The rules that span more than one field live in ``rules``; the model's validator runs them.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Annotated, get_args

from pydantic import Field, PrivateAttr, model_validator

from components.proxies.kinds import proxy_kind

from .backups import BackupsSpec
from .common import SshPublicKey, Strict
from .databases import DatabaseSpec
from .errors import SpecProblem
from .hosts import DropletHostSpec, HcloudHostSpec, SshHostSpec
from .monitoring import MonitoringSpec
from .partial import parsed
from .ports import PortRange
from .proxmox import GuestSpec, ProxmoxHostSpec
from .registries import RegistrySpec
from .rules import cross_field_problems
from .services import (
    Expose,
    ForwardExpose,
    NetworkSpec,
    PrivateExpose,
    ProxySpec,
    ServiceSpec,
)

HostSpec = Annotated[
    ProxmoxHostSpec | DropletHostSpec | HcloudHostSpec | SshHostSpec,
    Field(discriminator="kind"),
]
DockerHost = DropletHostSpec | HcloudHostSpec | SshHostSpec


def host_kinds() -> tuple[
    type[ProxmoxHostSpec | DropletHostSpec | HcloudHostSpec | SshHostSpec], ...
]:
    """The registered host kinds: the members of the ``HostSpec`` union."""
    return get_args(get_args(HostSpec)[0])


@dataclass(frozen=True)
class Publication:
    """A port a service holds on its machine: through Docker, or its own with host networking."""

    service: str
    protocol: str
    ports: PortRange
    reason: str  # "forward", "route" or "private"
    loc: tuple[str | int, ...]


class PlatformSpec(Strict):
    """Everything under the ``platform`` config namespace of one stack."""

    hosts: dict[str, HostSpec] = Field(
        min_length=1, description="Hosts by name: kind proxmox, droplet, hcloud or ssh."
    )
    guests: dict[str, GuestSpec] = Field(
        default_factory=dict, description="LXC guests on Proxmox hosts, by name."
    )
    networks: dict[str, NetworkSpec] = Field(
        default_factory=dict, description="Docker networks by name; members come from services."
    )
    services: dict[str, ServiceSpec] = Field(
        default_factory=dict, description="Containers by name (lower-case, e.g. livekit)."
    )
    proxy: ProxySpec | None = Field(
        default=None, description="The service every `route` exposure goes through."
    )
    databases: dict[str, DatabaseSpec] = Field(
        default_factory=dict,
        description="Managed database clusters by name (kind digitalocean-postgres), reached "
        "through a pgBouncer service of the stack.",
    )
    adminSshKeys: list[SshPublicKey] = Field(
        default_factory=list,
        description="SSH public keys of the administrators: guests' root, servers' admin user.",
    )
    backups: BackupsSpec | None = Field(
        default=None,
        description="Backups of every stateful service (restic): repository, off-site copy, "
        "schedule, retention, check; docs/backups.md.",
    )
    registries: dict[str, RegistrySpec] = Field(
        default_factory=dict,
        description="Credentials of private image registries, by the host the images name "
        "(ghcr.io; docker.io for Docker Hub): every engine that pulls from one gets them.",
    )
    monitoring: MonitoringSpec | None = Field(
        default=None,
        description="The monitoring set (Prometheus, Alertmanager, Grafana) on one machine; "
        "its targets are derived from the stack (docs/monitoring.md).",
    )

    # Entries of a partial spec (see ``partial``) that have no model at all, as (section, name):
    # not an object, or a host of no known kind. References to them are not reported as unknown.
    # A section that is not an object reads as empty and is named in ``_failed``.
    _unvalidated: tuple[tuple[str, str], ...] = PrivateAttr(default=())
    # Services the stack adds (the monitoring set, components/derive/monitoring.py) -> the
    # config path of the block that declares them (they have no platform:services entry), and
    # of the key their exposures come from when it is not the block itself.
    _derived: dict[str, tuple[str | int, ...]] = PrivateAttr(default_factory=dict)
    _derived_exposes: dict[str, tuple[str | int, ...]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _cross_field_rules(self) -> PlatformSpec:
        problems = cross_field_problems(self)
        if problems:
            raise SpecProblem(problems)
        return self

    def with_derived(
        self,
        services: dict[str, ServiceSpec],
        origins: dict[str, tuple[str | int, ...]],
        exposes: dict[str, tuple[str | int, ...]],
    ) -> PlatformSpec:
        """This spec with ``services`` added, each declared at ``origins[name]`` and its
        exposures at ``exposes[name]`` (default: its origin)."""
        added = self.model_copy(update={"services": {**self.services, **services}})
        added._derived = {**self._derived, **origins}
        added._derived_exposes = {**self._derived_exposes, **exposes}
        return added

    def service_loc(self, service: str) -> tuple[str | int, ...]:
        """Where the user writes ``service``: its platform:services entry, or for a service
        the stack adds, the block that declares it."""
        return self._derived.get(service, ("services", service))

    def expose_loc(self, service: str, index: int) -> tuple[str | int, ...]:
        """Where exposure ``index`` of ``service`` is written (a derived service's exposures
        are its block's)."""
        if service in self._derived:
            return self._derived_exposes.get(service, self._derived[service])
        return ("services", service, "expose", index)

    def declared(self, section: str, name: str) -> bool:
        """Whether ``name`` is declared in ``section``, valid or not (or might be: the section
        itself is not an object)."""
        return (
            name in getattr(self, section)
            or (section, name) in self._unvalidated
            or section in self._failed
        )

    def declared_names(self, section: str) -> list[str]:
        """The names of ``section``, valid or not: entries with a model, then those without."""
        return [*getattr(self, section), *(n for s, n in self._unvalidated if s == section)]

    # -- topology: which machine runs what, and where it lives --------------------------------

    def machines(self) -> list[str]:
        """Every place a Docker engine can run: guests, and hosts of a Docker kind."""
        return sorted([*self.guests, *(n for n, h in self.hosts.items() if not _is_proxmox(h))])

    def host_of(self, machine: str) -> str:
        """The host a machine lives on: a guest's Proxmox host, or the host itself."""
        guest = self.guests.get(machine)
        return guest.host if guest is not None else machine

    def known_host_of(self, machine: str) -> str | None:
        """``host_of``, or None for a guest of a partial spec whose ``host`` did not parse."""
        guest = self.guests.get(machine)
        if guest is not None and not parsed(guest, "host"):
            return None
        return self.host_of(machine)

    def is_guest(self, machine: str) -> bool:
        return machine in self.guests

    def machine_address(self, machine: str) -> IPv4Address | None:
        """The address a machine's services publish on and a proxy reaches its host-network
        services at: the guest's, an existing server's; None for a cloud server (known only
        once it exists)."""
        guest = self.guests.get(machine)
        if guest is not None:
            return guest.address
        host = self.hosts[machine]
        return host.address if isinstance(host, SshHostSpec) else None

    def hostname_of(self, guest: str) -> str:
        return self.guests[guest].hostname or guest

    def proxmox_hosts(self) -> dict[str, ProxmoxHostSpec]:
        return {n: h for n, h in self.hosts.items() if isinstance(h, ProxmoxHostSpec)}

    def guests_of(self, host: str) -> dict[str, GuestSpec]:
        return {n: g for n, g in self.guests.items() if parsed(g, "host") and g.host == host}

    def services_on(self, machine: str) -> dict[str, ServiceSpec]:
        return {
            n: s for n, s in self.services.items() if parsed(s, "machine") and s.machine == machine
        }

    def exposures(self, service: str) -> list[tuple[tuple[str | int, ...], Expose]]:
        """How ``service`` is reached, each with its config path: its own exposures, and for
        the proxy the public ports its kind implies (written under platform:proxy, not by hand).
        """
        spec = self.services[service]
        found: list[tuple[tuple[str | int, ...], Expose]] = []
        proxy = self.proxy if parsed(self, "proxy") else None
        if proxy is not None and parsed(proxy, "service", "kind") and proxy.service == service:
            found += [
                (
                    ("proxy",),
                    ForwardExpose(
                        kind="forward",
                        protocol=port.protocol,
                        ports=PortRange(start=port.port, end=port.port),
                        description=port.description,
                    ),
                )
                for port in proxy_kind(proxy).PUBLIC_PORTS
            ]
        if parsed(spec, "expose"):
            found += [
                (self.expose_loc(service, index), expose)
                for index, expose in enumerate(spec.expose)
            ]
        return found

    def publications(self, service: str) -> list[Publication]:
        """What ``service`` holds on its machine's address: forwards, private ports, and routes
        from a proxy on another machine (which reaches the service at that address)."""
        spec = self.services[service]
        proxy_machine = self._proxy_machine()
        found: list[Publication] = []
        for loc, expose in self.exposures(service):
            if isinstance(expose, ForwardExpose):
                found.append(Publication(service, expose.protocol, expose.ports, "forward", loc))
            elif isinstance(expose, PrivateExpose):
                found.append(Publication(service, expose.protocol, expose.ports, "private", loc))
            elif (
                proxy_machine is not None
                and parsed(spec, "machine")
                and proxy_machine != spec.machine
            ):
                port = PortRange(start=expose.port, end=expose.port)
                found.append(Publication(service, "tcp", port, "route", loc))
        return _unique_publications(found)

    def _proxy_machine(self) -> str | None:
        if not parsed(self, "proxy") or self.proxy is None or not parsed(self.proxy, "service"):
            return None
        proxy = self.services.get(self.proxy.service)
        return proxy.machine if proxy is not None and parsed(proxy, "machine") else None


def _is_proxmox(host: object) -> bool:
    return isinstance(host, ProxmoxHostSpec)


def _unique_publications(found: list[Publication]) -> list[Publication]:
    # Two routes to one port (two host names) are one publication.
    seen: set[tuple[str, int, int]] = set()
    unique = []
    for item in found:
        key = (item.protocol, item.ports.start, item.ports.end)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
