"""Ports that must never face the internet, by service. Shared by the port policies."""

from __future__ import annotations

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


def database_ports_in(start: int, end: int) -> list[tuple[int, str]]:
    """Database ports inside the inclusive range ``start``-``end``."""
    return [(port, name) for port, name in sorted(DATABASE_PORTS.items()) if start <= port <= end]
