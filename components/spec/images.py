"""Container image references as written in config: ``[registry/]repository[:tag][@digest]``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_REFERENCE_RE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*$")

# Images whose service is a database, cache or broker: their ports never face the internet.
# The policy pack keeps its own port catalog (it must stand alone for other teams' programs);
# this list is what the spec can know before any resource exists: the image.
DATABASE_IMAGES: dict[str, str] = {
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "postgres": "PostgreSQL",
    "postgis": "PostgreSQL",
    "pgbouncer": "pgBouncer",
    "mongo": "MongoDB",
    "redis": "Redis",
    "valkey": "Valkey",
    "influxdb": "InfluxDB",
    "rabbitmq": "RabbitMQ",
    "memcached": "Memcached",
    "elasticsearch": "Elasticsearch",
    "opensearch": "OpenSearch",
    "couchdb": "CouchDB",
    "cassandra": "Cassandra",
}


# The official postgres image's superuser: the env's POSTGRES_USER when set, else postgres, its
# password POSTGRES_PASSWORD (docker-library/postgres docker-entrypoint.sh docker_setup_env).
# Its exporter logs in, and the backup job dumps, as that user.
POSTGRES_USER_ENV = "POSTGRES_USER"
POSTGRES_DEFAULT_USER = "postgres"
POSTGRES_PASSWORD_ENV = "POSTGRES_PASSWORD"


# The signal each database image stops cleanly on, where it documents one. Docker sends it, then
# SIGKILL after the service's grace.
# - postgres (and postgis, built FROM it): docker-library/postgres 16/bookworm/Dockerfile:193-206
#   sets STOPSIGNAL SIGINT, PostgreSQL's "Fast Shutdown mode"; it adds that even 90 s of stop
#   timeout may not be enough for a large shared_buffers checkpoint.
# - redis, valkey: SIGTERM and SIGINT "tell Redis to shut down gracefully" (flush the AOF, save
#   the RDB), redis.io/docs/reference/signals and valkey.io/topics/signals; the image keeps
#   "save on SIGTERM" (docker-library/redis Dockerfile.template:169).
# - mariadb, mysql: SIGTERM "causes the server to shut down" (MySQL manual, Unix Signal Handling;
#   mariadbd is started by MariaDB/mariadb-docker's entrypoint with exec, and its Dockerfile
#   sets no STOPSIGNAL).
STOP_SIGNALS: dict[str, str] = {
    "postgres": "SIGINT",
    "postgis": "SIGINT",
    "redis": "SIGTERM",
    "valkey": "SIGTERM",
    "mariadb": "SIGTERM",
    "mysql": "SIGTERM",
}


# Apps that read the Authorization header themselves, so HTTP basic auth at the proxy breaks
# them: NPM's FAQ says its UI cannot sit behind an access list with basic auth, Portainer
# takes its JWT in that header (portainer/portainer#6963), and RabbitMQ's management UI sends
# the broker user's credentials as HTTP basic auth on every API call (its HTTP API is basic
# auth, rabbitmq/rabbitmq-management#724 "Disable basic http auth"). Their routes use source
# networks.
AUTHORIZATION_HEADER_APPS: dict[str, str] = {
    "rabbitmq": "RabbitMQ management",
    # Grafana's HTTP API takes basic auth ([auth.basic] enabled by default): the proxy's
    # credentials would be tried as a Grafana login.
    "grafana/grafana": "Grafana",
    "portainer/portainer-ce": "Portainer",
    "portainer/portainer-ee": "Portainer",
    "jc21/nginx-proxy-manager": "Nginx Proxy Manager",
}


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path part: ``livekit-server`` for ``livekit/livekit-server:v1.9.0``."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def database(self) -> str | None:
        """What database the image runs, if it is one of ``DATABASE_IMAGES``."""
        return DATABASE_IMAGES.get(self.name)

    @property
    def uses_authorization_header(self) -> str | None:
        """The app's name when it reads ``Authorization`` itself (``AUTHORIZATION_HEADER_APPS``)."""
        return AUTHORIZATION_HEADER_APPS.get(self.repository)

    @property
    def stop_signal(self) -> str | None:
        """The clean stop signal the image's database documents (``STOP_SIGNALS``)."""
        return STOP_SIGNALS.get(self.name)


DOCKER_HUB = "docker.io"
# The key the Docker provider looks Docker Hub's credentials up by when it pulls
# (kreuzwerker/terraform-provider-docker v4.5.0 resource_docker_image_funcs.go:330).
DOCKER_HUB_PULL_ADDRESS = "registry-1.docker.io"
_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
_REGISTRY_RE = re.compile(rf"^(localhost|{_LABEL}(\.{_LABEL})+)(:\d{{1,5}})?$")


def registry_of(image: str) -> str:
    """The registry the Docker provider pulls ``image`` from, as platform:registries names it.

    The provider's own rule (parseImageOptions, resource_docker_image_funcs.go:304): the first
    path part when it has a ``.`` or ``:`` or is ``localhost``, or when the reference has more
    than one ``/``; otherwise Docker Hub.
    """
    first, slash, _ = image.partition("/")
    if slash and (image.count("/") > 1 or "." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


def pull_address(registry: str) -> str:
    """The ``registry_auth`` address whose credentials the provider's pull finds."""
    return DOCKER_HUB_PULL_ADDRESS if registry == DOCKER_HUB else registry


def is_registry_host(name: str) -> bool:
    """Whether an image reference can name ``name`` as its registry (or it is Docker Hub)."""
    return name == DOCKER_HUB or _REGISTRY_RE.fullmatch(name) is not None


def parse_image(image: str) -> ImageRef:
    # policies/lib/images.py parses references the same way: the pack must stand alone for
    # other teams' programs, so it cannot import this library.
    reference, _, digest = image.partition("@")
    slash, colon = reference.rfind("/"), reference.rfind(":")
    tag = None
    if colon > slash:
        reference, tag = reference[:colon], reference[colon + 1 :]
    parts = reference.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts[:1] == ["library"]:
        parts = parts[1:]
    return ImageRef(repository="/".join(parts), tag=tag or None, digest=digest or None)


def _pinned_image(value: str) -> str:
    if not _REFERENCE_RE.fullmatch(value.split("@", 1)[0]):
        raise ValueError(
            "is not an image reference: lower-case [registry/]repository:tag or "
            "repository@sha256:<digest>"
        )
    ref = parse_image(value)
    if ref.digest is not None and not _DIGEST_RE.fullmatch(ref.digest):
        raise ValueError("has a malformed digest; use @sha256: and 64 hex digits")
    if ref.digest is None and ref.tag is None:
        raise ValueError("has no tag: pin a version such as postgres:16.4 or a digest @sha256:...")
    if ref.digest is None and ref.tag == "latest":
        raise ValueError(
            "uses the tag latest, which moves: pin a version such as postgres:16.4 or a "
            "digest @sha256:..."
        )
    return value


PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
