"""Ports that must never face the internet, by protocol and service, and which Docker port
bindings face it. Shared by the port rules (published ports and NAT forwards).

Services are keyed by (protocol, port): a UDP media range that includes 3000 is not Grafana,
which speaks TCP. Memcached also answers on UDP 11211 (the amplification attacks of 2018), so
it is listed for both.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from lib.readers import number
from lib.rule import ResourceValidation, each_detail

Service = tuple[str, int]  # (protocol, port)

DATABASE_PORTS: dict[Service, str] = {
    ("tcp", 3306): "MySQL/MariaDB",
    ("tcp", 5432): "PostgreSQL",
    ("tcp", 6432): "pgBouncer",
    ("tcp", 27017): "MongoDB",
    ("tcp", 27018): "MongoDB shard",
    ("tcp", 27019): "MongoDB config server",
    ("tcp", 6379): "Redis",
    ("tcp", 8086): "InfluxDB",
    ("tcp", 5672): "RabbitMQ (AMQP)",
    ("tcp", 9092): "Kafka",
    ("tcp", 11211): "Memcached",
    ("udp", 11211): "Memcached (UDP)",
    ("tcp", 9200): "Elasticsearch/OpenSearch",
    ("tcp", 5984): "CouchDB",
    ("tcp", 9042): "Cassandra",
}


# Management and admin interfaces: reachable through the authenticating proxy or a VPN only.
ADMIN_PORTS: dict[Service, str] = {
    ("tcp", 15672): "RabbitMQ management UI",
    ("tcp", 1883): "MQTT without TLS (Mosquitto)",
    ("tcp", 2375): "Docker API without TLS",
    ("tcp", 2376): "Docker API",
    ("tcp", 9000): "Portainer",
    ("tcp", 9443): "Portainer (HTTPS)",
    ("tcp", 8080): "Jenkins (and other admin web UIs)",
    ("tcp", 3000): "Grafana / DbGate",
    ("tcp", 9090): "Prometheus",
    ("tcp", 9093): "Alertmanager",
    ("tcp", 3100): "Loki",
    ("tcp", 81): "NGINX Proxy Manager admin UI",
    ("tcp", 8006): "Proxmox VE web UI and API",
    ("tcp", 8081): "mongo-express / admin UIs",
    ("tcp", 5050): "pgAdmin",
}


def services_in(
    catalog: Mapping[Service, str], protocol: str, start: int, end: int
) -> list[tuple[int, str]]:
    """The ``catalog`` services of ``protocol`` inside the inclusive range ``start``-``end``."""
    protocol = protocol.lower()
    return [
        (port, name)
        for (proto, port), name in sorted(catalog.items())
        if proto == protocol and start <= port <= end
    ]


def database_ports_in(protocol: str, start: int, end: int) -> list[tuple[int, str]]:
    return services_in(DATABASE_PORTS, protocol, start, end)


def admin_ports_in(protocol: str, start: int, end: int) -> list[tuple[int, str]]:
    return services_in(ADMIN_PORTS, protocol, start, end)


# Addresses that never face the internet. Python's `is_private` also counts the documentation
# ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) and other reserved blocks, which are
# routable in lab setups and in examples copied to production; these lists are explicit.
NON_PUBLIC_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def is_non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in NON_PUBLIC_NETWORKS)


def is_public_bind(ip: Any) -> bool:
    """Whether a Docker port binding's ``ip`` faces the internet.

    ``0.0.0.0`` and ``::`` bind every interface (and Docker's own iptables rules bypass host
    firewalls); the provider's Check fills a missing ``ip`` with ``0.0.0.0`` (see
    ``components/plan/provider_defaults.py``), and a missing or empty one is read the same way
    here. Anything that is not an address we can prove non-public counts as public too.
    """
    if ip in (None, "", "0.0.0.0", "::"):
        return True
    try:
        address = ipaddress.ip_address(str(ip))
    except ValueError:
        return True  # not an address we can prove private
    return not is_non_public(address)


def public_publications(ports: Any, catalog: Mapping[Service, str]) -> Iterator[str]:
    """One violation detail per entry of ``ports`` whose container or host port, with its
    protocol (``tcp`` when absent, the provider's default), is in ``catalog`` and whose binding
    is public.

    ``ip`` is read only for a catalogued port, so an unknown address on any other port defers
    nothing.
    """
    for port in ports or []:
        internal, external = number(port.get("internal")), number(port.get("external"))
        protocol = str(port.get("protocol") or "tcp").lower()
        inside, outside = catalog.get((protocol, internal)), catalog.get((protocol, external))
        if inside is None and outside is None:
            continue
        ip = port.get("ip")
        if not is_public_bind(ip):
            continue
        bind = ip or "all addresses"
        if inside is not None:
            host = external or "a random host port"
            yield f"Port {internal}/{protocol} ({inside}) is published as {host} on {bind}."
        else:
            yield (
                f"Host port {external}/{protocol} ({outside}) is published on {bind} "
                f"for container port {internal}."
            )


def published_publicly(catalog: Mapping[Service, str]) -> ResourceValidation:
    """The validation of a container rule against publishing ``catalog``: one violation per
    ``public_publications`` detail of its ``ports``."""
    return each_detail(lambda args: public_publications(args.props.get("ports"), catalog))
