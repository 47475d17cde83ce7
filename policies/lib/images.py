"""Container image references: ``[registry/]repository[:tag][@digest]``.

This repeats ``components/spec/images.py`` on purpose: the pack runs as its own process and
as a pack for other teams' programs, so it never imports the program.
"""

from __future__ import annotations

from dataclasses import dataclass

# Last part of the image repository -> the database it runs (the pack's one list; the program's
# is components/spec/images.py, for the same reason as the parser below).
DATABASE_IMAGES: dict[str, str] = {
    "postgres": "PostgreSQL",
    "postgresql": "PostgreSQL",
    "postgis": "PostgreSQL",
    "timescaledb": "PostgreSQL",
    "timescaledb-ha": "PostgreSQL",
    "pgvector": "PostgreSQL",
    "mysql": "MySQL",
    "mysql-server": "MySQL",
    "percona-server": "MySQL",
    "mariadb": "MariaDB",
    "mongo": "MongoDB",
    "mongodb": "MongoDB",
    "mongodb-community-server": "MongoDB",
    "redis": "Redis",
    "redis-stack-server": "Redis",
    "valkey": "Valkey",
    "keydb": "KeyDB",
    "influxdb": "InfluxDB",
    "rabbitmq": "RabbitMQ",
    "couchdb": "CouchDB",
    "cassandra": "Cassandra",
    "elasticsearch": "Elasticsearch",
    "opensearch": "OpenSearch",
}


@dataclass(frozen=True)
class ImageRef:
    repository: str  # without registry for Docker Hub ("livekit/livekit-server", "postgres")
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path part, e.g. ``livekit-server`` or ``postgres``."""
        return self.repository.rsplit("/", 1)[-1]


def parse_image(image: str) -> ImageRef:
    reference, _, digest = image.partition("@")
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    tag = None
    if colon > slash:
        reference, tag = reference[:colon], reference[colon + 1 :]
    parts = reference.split("/")
    # A first part with a dot, a colon or "localhost" is a registry host, not a namespace.
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts[:1] == ["library"]:
        parts = parts[1:]
    return ImageRef(repository="/".join(parts).lower(), tag=tag or None, digest=digest or None)


# Images whose service is an admin panel: reached only through the proxy, with authentication
# (docker-container-admin-panel-authenticated). By repository, without registry. NPM is not
# here: its public 80/443 are the proxy itself; its admin UI is port 81 (lib.ports.ADMIN_PORTS).
ADMIN_IMAGES: dict[str, str] = {
    "portainer/portainer-ce": "Portainer",
    "portainer/portainer-ee": "Portainer",
    "dbgate/dbgate": "DbGate",
    "jenkins/jenkins": "Jenkins",
    "grafana/grafana": "Grafana",
    "grafana/grafana-oss": "Grafana",
    "grafana/grafana-enterprise": "Grafana",
    "phpmyadmin": "phpMyAdmin",
    "phpmyadmin/phpmyadmin": "phpMyAdmin",
    "adminer": "Adminer",
    "mongo-express": "mongo-express",
    "dpage/pgadmin4": "pgAdmin",
    "prom/prometheus": "Prometheus",
    "prom/alertmanager": "Alertmanager",
}


def admin_panel(image: str) -> str | None:
    """The admin panel ``image`` runs, if any: ``ADMIN_IMAGES``, and RabbitMQ's management
    images (tags with ``management``, the official image's variant with the web UI)."""
    ref = parse_image(image)
    if ref.repository == "rabbitmq" and ref.tag is not None and "management" in ref.tag:
        return "RabbitMQ management"
    return ADMIN_IMAGES.get(ref.repository)


# Images that run plain nginx with the config files a program uploads into them
# (proxy-route-admin-panel-authenticated parses those files), by repository without registry,
# and the directories nginx reads its config from there, the config prefix first (relative
# paths resolve against it):
# - nginx, nginxinc/nginx-unprivileged: /etc/nginx (nginxinc/docker-nginx
#   stable/debian/Dockerfile; nginx.conf includes /etc/nginx/conf.d/*.conf inside http {});
# - bitnami/nginx: /opt/bitnami/nginx/conf (bitnami/containers bitnami/nginx/README.md,
#   "Adding custom server blocks": server_blocks/ there; "Full configuration": nginx.conf);
# - openresty/openresty: /usr/local/openresty/nginx/conf, whose nginx.conf includes
#   /etc/nginx/conf.d/*.conf (openresty/docker-openresty nginx.conf:1-14 at 0cc831b).
NGINX_IMAGES: dict[str, tuple[str, ...]] = {
    "nginx": ("/etc/nginx",),
    "nginxinc/nginx-unprivileged": ("/etc/nginx",),
    "bitnami/nginx": ("/opt/bitnami/nginx/conf",),
    "openresty/openresty": ("/usr/local/openresty/nginx/conf", "/etc/nginx"),
}


def nginx_config_directories(image: str) -> tuple[str, ...] | None:
    """Where the nginx that ``image`` runs reads its config (None: not an nginx image)."""
    return NGINX_IMAGES.get(parse_image(image).repository)
