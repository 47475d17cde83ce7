"""What the exposures of the services become: published ports, edge openings, proxy routes.

One pass over ``PlatformSpec.publications`` feeds every consumer: the containers' port
bindings, the NAT forwards of a Proxmox host, the rules of a cloud firewall, the proxy's routes
and the policy pack's list of ports the stack means to open.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

from components.spec import (
    CloudServerSpec,
    ForwardExpose,
    PlatformSpec,
    PortRange,
    RouteExpose,
    config_path,
)
from components.values import SecretPath


@dataclass(frozen=True)
class PublishedPort:
    """A Docker port binding: ``ports`` on the machine's ``address`` to the same container ports.

    ``address`` None means the machine's public address, known once a cloud server exists.
    """

    service: str
    protocol: str
    ports: PortRange
    address: IPv4Address | None
    config_path: str


@dataclass(frozen=True)
class EdgeOpening:
    """Public ``ports`` on ``host`` that reach ``service``: a NAT forward or a firewall rule."""

    host: str
    protocol: str
    ports: PortRange
    service: str
    machine: str
    target: IPv4Address | None  # the guest behind a Proxmox host's NAT; None on a server
    description: str
    config_path: str


@dataclass(frozen=True)
class RouteUser:
    """A basic-auth user of a route; the proxy kind hashes the password at apply time."""

    username: str
    password: SecretPath


@dataclass(frozen=True)
class ProxyRoute:
    service: str
    host: str
    path: str
    port: int
    upstream: str  # http://<alias or guest address>:<port>
    config_path: str
    users: tuple[RouteUser, ...] = ()  # basic auth; empty: none
    allow_from: tuple[str, ...] = ()  # source CIDRs; empty: every client
    websocket: bool = False

    @property
    def authenticated(self) -> bool:
        """Whether the proxy lets only some clients through (credentials or source networks)."""
        return bool(self.users or self.allow_from)


def machine_address(spec: PlatformSpec, machine: str) -> IPv4Address | None:
    """The address a machine's services publish on (PlatformSpec.machine_address)."""
    return spec.machine_address(machine)


def published_ports(spec: PlatformSpec, service: str) -> tuple[PublishedPort, ...]:
    """Docker port bindings of ``service``; a host-network service binds its ports itself."""
    spec_service = spec.services[service]
    if spec_service.networkMode == "host":
        return ()
    address = machine_address(spec, spec_service.machine)
    return tuple(
        PublishedPort(service, item.protocol, item.ports, address, config_path(item.loc))
        for item in spec.publications(service)
    )


def edge_openings(spec: PlatformSpec, host: str | None = None) -> tuple[EdgeOpening, ...]:
    """Forwarded ports, per host (all hosts when ``host`` is None), sorted by protocol and port."""
    openings = []
    for name, service in spec.services.items():
        host_name = spec.host_of(service.machine)
        if host is not None and host_name != host:
            continue
        guest = spec.guests.get(service.machine)
        for loc, expose in spec.exposures(name):
            if not isinstance(expose, ForwardExpose):
                continue
            openings.append(
                EdgeOpening(
                    host=host_name,
                    protocol=expose.protocol,
                    ports=expose.ports,
                    service=name,
                    machine=service.machine,
                    target=guest.address if guest is not None else None,
                    description=expose.description,
                    config_path=config_path(loc),
                )
            )
    return tuple(sorted(openings, key=lambda o: (o.host, o.protocol, o.ports.start)))


def proxy_routes(spec: PlatformSpec) -> tuple[ProxyRoute, ...]:
    """Every route exposure, with the upstream address the proxy uses to reach it."""
    if spec.proxy is None:
        return ()
    proxy_machine = spec.services[spec.proxy.service].machine
    routes = []
    for name, service in spec.services.items():
        for index, expose in enumerate(service.expose):
            if not isinstance(expose, RouteExpose):
                continue
            if service.machine == proxy_machine and service.networkMode != "host":
                upstream_host = name  # the service's network alias
            else:
                upstream_host = str(machine_address(spec, service.machine))
            routes.append(
                ProxyRoute(
                    service=name,
                    host=expose.host,
                    path=expose.path,
                    port=expose.port,
                    upstream=f"http://{upstream_host}:{expose.port}",
                    config_path=config_path(spec.expose_loc(name, index)),
                    **_route_access(expose),
                )
            )
    return tuple(sorted(routes, key=lambda r: (r.host, r.path, r.service)))


def _route_access(expose: RouteExpose) -> dict[str, Any]:
    auth = expose.auth
    return {
        "users": tuple(
            RouteUser(user.username, SecretPath(user.password.secret))
            for user in (auth.users if auth else ())
        ),
        "allow_from": tuple(str(network) for network in (auth.allowFrom if auth else ())),
        "websocket": expose.websocket,
    }


def listen_ports(spec: PlatformSpec, service: str) -> tuple[tuple[str, PortRange], ...]:
    """Every (protocol, ports) the service listens on: its exposures' and its listen ports."""
    found: dict[tuple[str, int, int], tuple[str, PortRange]] = {}
    for item in spec.services[service].listen:
        found[(item.protocol, item.ports.start, item.ports.end)] = (item.protocol, item.ports)
    for _, expose in spec.exposures(service):
        if isinstance(expose, RouteExpose):
            ports = PortRange(start=expose.port, end=expose.port)
            found[("tcp", ports.start, ports.end)] = ("tcp", ports)
        else:
            found[(expose.protocol, expose.ports.start, expose.ports.end)] = (
                expose.protocol,
                expose.ports,
            )
    return tuple(found[key] for key in sorted(found))


def stack_policy_config(
    spec: PlatformSpec, openings: tuple[EdgeOpening, ...] | None = None
) -> dict[str, object]:
    """What this stack means to open, for the policy pack's config.

    The proxy's openings are its public web ports; every other forward is a media port; SSH is
    open to the admin networks of the stack's cloud servers.
    """
    proxy = spec.proxy.service if spec.proxy is not None else None
    public: list[dict[str, str]] = []
    media: list[dict[str, str]] = []
    for opening in edge_openings(spec) if openings is None else openings:
        entry = {"protocol": opening.protocol, "ports": str(opening.ports)}
        (public if opening.service == proxy else media).append(entry)
    ssh = sorted(
        {
            str(network)
            for host in spec.hosts.values()
            if isinstance(host, CloudServerSpec)
            for network in host.sshAllowedFrom
        }
    )
    return {
        "cloud-firewall-restricted-inbound": {
            "publicPorts": _unique(public),
            "mediaPorts": _unique(media),
            "sshCidrs": ssh,
        }
    }


def _unique(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = []
    for entry in entries:
        if entry not in seen:
            seen.append(entry)
    return seen
