"""Ports that must never face the internet, by service, and which Docker port bindings face it.

Shared by the port policies.
"""

from __future__ import annotations

import ipaddress
from typing import Any

DATABASE_PORTS: dict[int, str] = {
    3306: "MySQL/MariaDB",
    5432: "PostgreSQL",
    6432: "pgBouncer",
    27017: "MongoDB",
    27018: "MongoDB shard",
    27019: "MongoDB config server",
    6379: "Redis",
    8086: "InfluxDB",
    5672: "RabbitMQ (AMQP)",
    9092: "Kafka",
    11211: "Memcached",
    9200: "Elasticsearch/OpenSearch",
    5984: "CouchDB",
    9042: "Cassandra",
}


# Management and admin interfaces: reachable through the authenticating proxy or a VPN only.
ADMIN_PORTS: dict[int, str] = {
    15672: "RabbitMQ management UI",
    1883: "MQTT without TLS (Mosquitto)",
    2375: "Docker API without TLS",
    2376: "Docker API",
    9000: "Portainer",
    9443: "Portainer (HTTPS)",
    8080: "Jenkins (and other admin web UIs)",
    3000: "Grafana / DbGate",
    9090: "Prometheus",
    9093: "Alertmanager",
    3100: "Loki",
    81: "NGINX Proxy Manager admin UI",
    8006: "Proxmox VE web UI and API",
    8081: "mongo-express / admin UIs",
    5050: "pgAdmin",
}


def database_ports_in(start: int, end: int) -> list[tuple[int, str]]:
    """Database ports inside the inclusive range ``start``-``end``."""
    return [(port, name) for port, name in sorted(DATABASE_PORTS.items()) if start <= port <= end]


def admin_ports_in(start: int, end: int) -> list[tuple[int, str]]:
    """Admin and management ports inside the inclusive range ``start``-``end``."""
    return [(port, name) for port, name in sorted(ADMIN_PORTS.items()) if start <= port <= end]


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

    Missing, empty, ``0.0.0.0`` and ``::`` bind every interface (and Docker's own iptables
    rules bypass host firewalls); anything that is not an address we can prove non-public
    counts as public too.
    """
    if ip in (None, "", "0.0.0.0", "::"):
        return True
    try:
        address = ipaddress.ip_address(str(ip))
    except ValueError:
        return True  # not an address we can prove private
    return not is_non_public(address)


def port_number(value: Any) -> Any:
    """A port number as sent on the wire (protobuf numbers are floats) shown as an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
