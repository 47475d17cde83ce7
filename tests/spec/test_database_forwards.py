"""Every image of the spec's database list is refused behind a forward, by a real reference.

The references are the images' own (Docker Hub official images and the vendors' registries),
written here by hand with the product each one runs; the table must cover the spec's list
(components/spec/images.py DATABASE_IMAGES), so a new entry there needs a real reference here.
"""

from __future__ import annotations

import pytest

from components.spec.images import DATABASE_IMAGES
from tests.spec.spec_helpers import error_text, forward, parse, private, put
from tests.spec.test_models import doc

# list name -> (a real reference of the image, the product it runs)
REFERENCES: dict[str, tuple[str, str]] = {
    "mysql": ("mysql:8.4.3", "MySQL"),
    "mariadb": ("mariadb:11.4.4", "MariaDB"),
    "postgres": ("postgres:16.6-bookworm", "PostgreSQL"),
    "postgis": ("postgis/postgis:16-3.5", "PostgreSQL"),
    "pgbouncer": ("bitnami/pgbouncer:1.23.1", "pgBouncer"),
    "mongo": ("mongo:8.0.4", "MongoDB"),
    "redis": ("docker.io/library/redis:7.4.2", "Redis"),
    "valkey": ("valkey/valkey:8.0.2", "Valkey"),
    "influxdb": ("influxdb:2.7.11", "InfluxDB"),
    "rabbitmq": ("rabbitmq:4.0.5-management", "RabbitMQ"),
    "memcached": ("memcached:1.6.34", "Memcached"),
    "elasticsearch": ("docker.elastic.co/elasticsearch/elasticsearch:8.17.0", "Elasticsearch"),
    "opensearch": ("opensearchproject/opensearch:2.18.0", "OpenSearch"),
    "couchdb": ("couchdb:3.4.2", "CouchDB"),
    "cassandra": ("cassandra:5.0.2", "Cassandra"),
}


def test_the_table_covers_the_spec_list() -> None:
    assert set(REFERENCES) == set(DATABASE_IMAGES)


@pytest.mark.parametrize(("reference", "product"), REFERENCES.values(), ids=list(REFERENCES))
def test_a_database_behind_a_forward_is_refused(reference: str, product: str) -> None:
    # prod's redis service, running this image, gets a public forward next to its exposure.
    lines = error_text(
        doc(put("services", "redis", "image", value=reference), forward("redis", "tcp", 6380))
    ).splitlines()
    assert (
        f"platform:services.redis.expose[1]: forward tcp 6380 would open {reference} "
        f"({product}) to the internet; a database stays internal: reach it over a network, "
        "or a private exposure between guests"
    ) in lines


@pytest.mark.parametrize(("reference", "product"), REFERENCES.values(), ids=list(REFERENCES))
def test_the_same_database_between_guests_is_allowed(reference: str, product: str) -> None:
    del product
    parse(doc(put("services", "redis", "image", value=reference), private("redis", "tcp", 6380)))
