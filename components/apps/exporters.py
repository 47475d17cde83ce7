"""The exporters the monitoring set scrapes: per machine (node, containers) and per database.

Each is a container the stack adds (components/derive/monitoring.py), never written in a stack
file: a node exporter and a cAdvisor on every engine, and the exporter that fits a database's
image (``DATABASE_EXPORTERS``, keyed like components/spec/images.DATABASE_IMAGES) next to it, on
its networks, with the database's own password. Images are pinned; nothing is published to the
internet (a private port on a guest's address at most).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from components.metrics import TEXTFILE_COLLECTOR_DIR
from components.render.pgbouncer import CONSOLE_DATABASE
from components.spec import images

if TYPE_CHECKING:
    from components.spec.services import ServiceSpec

NODE_EXPORTER_IMAGE = "prom/node-exporter:v1.8.2"
NODE_EXPORTER_PORT = 9100
CADVISOR_IMAGE = "gcr.io/cadvisor/cadvisor:v0.49.1"
CADVISOR_PORT = 8080

# The machine's root, read-only, as node_exporter's --path.rootfs: its filesystems, /proc and
# /sys as the host sees them, and the textfile collector directory the backup jobs write.
HOST_ROOT = "/host"


def node_exporter_command() -> list[str]:
    return [
        f"--path.rootfs={HOST_ROOT}",
        f"--path.procfs={HOST_ROOT}/proc",
        f"--path.sysfs={HOST_ROOT}/sys",
        f"--collector.textfile.directory={HOST_ROOT}{TEXTFILE_COLLECTOR_DIR}",
        # Container runtimes' mounts would be counted as the machine's disks.
        "--collector.filesystem.mount-points-exclude=^/(dev|proc|run|sys|var/lib/docker/.+)($|/)",
        f"--web.listen-address=:{NODE_EXPORTER_PORT}",
    ]


NODE_EXPORTER_EXCEPTIONS = {
    "docker-container-no-sensitive-host-path": (
        "The node exporter reads the machine's filesystems, /proc and /sys (read-only at "
        "/host) to report disk, memory and CPU."
    ),
}

# cAdvisor reads every container's cgroup, the engine's data and the Docker API: its documented
# mounts (google/cadvisor README "Quick Start"), all read-only.
CADVISOR_BINDS = (
    ("/", "/rootfs"),
    ("/var/run", "/var/run"),
    ("/sys", "/sys"),
    ("/var/lib/docker", "/var/lib/docker"),
)
# What keeps cAdvisor small (google/cadvisor v0.49.1; tests/provider_facts/cadvisor.py has the
# file:line of each default): without flags it tracks every cgroup (each systemd unit), every
# second (housekeeping_interval 1s), keeps each one's last 2 minutes (storage_duration) and
# collects every default kind, disk usage's periodic du of each container's layer among them.
# Only Docker's containers, every 30 s (4 samples kept, not 120), only the three kinds the alert
# rules and the dashboards read, and no container labels copied onto every series.
CADVISOR_METRICS = ("cpu", "memory", "oom_event")


def cadvisor_command() -> list[str]:
    return [
        "--docker_only=true",
        "--housekeeping_interval=30s",
        f"--enable_metrics={','.join(CADVISOR_METRICS)}",
        "--store_container_labels=false",
    ]


CADVISOR_EXCEPTIONS = {
    "docker-container-no-sensitive-host-path": (
        "cAdvisor reads each container's cgroup (/sys) and the engine's data directory, "
        "read-only, to report container CPU, memory, restarts and OOM kills."
    ),
    "docker-container-no-docker-socket": (
        "cAdvisor names containers through the Docker API; it is on the monitoring network "
        "only, publishes nothing to the internet and its binds are read-only."
    ),
}


@dataclass(frozen=True)
class DatabaseExporter:
    """How one kind of database or broker is scraped.

    ``image`` None: the server serves its own metrics on ``port`` (RabbitMQ's prometheus
    plugin). ``env`` and ``command`` are templates with ``{address}`` (the database's alias and
    port on its network); ``password_env`` is the exporter's variable that receives the
    database's secret named by the first of ``password_from`` the database's env sets, and
    ``user_env`` the user the first of ``user_from`` names, else ``default_user`` (PostgreSQL's
    superuser is the env's POSTGRES_USER when it sets one)."""

    job: str
    port: int
    database_port: int
    image: str | None = None
    command: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    password_env: str | None = None
    password_from: tuple[str, ...] = ()
    user_env: str | None = None
    user_from: tuple[str, ...] = ()
    default_user: str = ""
    up_metric: str = "up"
    healthcheck: tuple[str, ...] | None = None


_POSTGRES = DatabaseExporter(
    job="postgres",
    port=9187,
    database_port=5432,
    image="quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
    env={"DATA_SOURCE_URI": "{address}/postgres?sslmode=disable"},
    # The image's superuser (components/spec/images.py), the same the backup job dumps as.
    password_env="DATA_SOURCE_PASS",
    password_from=(images.POSTGRES_PASSWORD_ENV,),
    user_env="DATA_SOURCE_USER",
    user_from=(images.POSTGRES_USER_ENV,),
    default_user=images.POSTGRES_DEFAULT_USER,
    up_metric="pg_up",
    healthcheck=("CMD", "wget", "-qO-", "http://127.0.0.1:9187/metrics"),
)
_MYSQL = DatabaseExporter(
    job="mysql",
    port=9104,
    database_port=3306,
    image="prom/mysqld-exporter:v0.16.0",
    # mysqld_exporter 0.15 dropped DATA_SOURCE_NAME: the address and user are flags, the
    # password its MYSQLD_EXPORTER_PASSWORD variable.
    command=("--mysqld.address={address}", "--mysqld.username=root"),
    password_env="MYSQLD_EXPORTER_PASSWORD",
    password_from=("MARIADB_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD"),
    up_metric="mysql_up",
    healthcheck=("CMD", "wget", "-qO-", "http://127.0.0.1:9104/metrics"),
)
_REDIS = DatabaseExporter(
    job="redis",
    port=9121,
    database_port=6379,
    image="oliver006/redis_exporter:v1.66.0-alpine",
    healthcheck=("CMD", "wget", "-qO-", "http://127.0.0.1:9121/health"),
    env={"REDIS_ADDR": "redis://{address}"},
    password_env="REDIS_PASSWORD",
    password_from=("REDIS_PASSWORD",),
    up_metric="redis_up",
)
_MONGO = DatabaseExporter(
    job="mongodb",
    port=9216,
    database_port=27017,
    image="percona/mongodb_exporter:0.43.1",
    # The root user the official image creates from these two (docker-library/mongo
    # docker-entrypoint.sh); without them MongoDB runs without authentication.
    env={"MONGODB_URI": "mongodb://{address}"},
    user_env="MONGODB_USER",
    user_from=("MONGO_INITDB_ROOT_USERNAME",),
    password_env="MONGODB_PASSWORD",
    password_from=("MONGO_INITDB_ROOT_PASSWORD",),
    up_metric="mongodb_up",
)
_RABBITMQ = DatabaseExporter(job="rabbitmq", port=15692, database_port=5672)
# prometheus-community/pgbouncer_exporter v0.12.1: the connection string is its
# --pgBouncer.connectionString flag's variable, port :9127 (pgbouncer_exporter.go:48,53); lib/pq
# (go.mod v1.12.3) takes PGUSER and PGPASSWORD from the environment under the string's own
# values (lib/pq connector.go:511-555 newConfig/fromEnv), so no password is in the string. It
# logs in to pgBouncer's console database `pgbouncer` as one of the app's statsUsers (whose
# password the derivation takes from the app, not the env) and runs SHOW STATS, POOLS,
# DATABASES, LISTS, CONFIG, CLIENTS and VERSION (collector.go). The image is busybox-based,
# USER nobody (Dockerfile); `/` is its landing page (pgbouncer_exporter.go:84-100).
PGBOUNCER = DatabaseExporter(
    job="pgbouncer",
    port=9127,
    database_port=5432,
    image="quay.io/prometheuscommunity/pgbouncer-exporter:v0.12.1",
    env={
        "PGBOUNCER_EXPORTER_CONNECTION_STRING": (
            f"postgres://{{address}}/{CONSOLE_DATABASE}?sslmode=disable"
        )
    },
    password_env="PGPASSWORD",
    user_env="PGUSER",
    up_metric="pgbouncer_up",
    healthcheck=("CMD", "wget", "-qO-", "http://127.0.0.1:9127/"),
)

# By the image's name (components/spec/images.parse_image(...).name).
DATABASE_EXPORTERS: dict[str, DatabaseExporter] = {
    "postgres": _POSTGRES,
    "postgis": _POSTGRES,
    "mariadb": _MYSQL,
    "mysql": _MYSQL,
    "redis": _REDIS,
    "valkey": _REDIS,
    "mongo": _MONGO,
    "rabbitmq": _RABBITMQ,
    "pgbouncer": PGBOUNCER,
}


def database_exporter_of(service: ServiceSpec) -> DatabaseExporter | None:
    """The exporter that fits the service's image, if any: what makes it a database here (the
    monitoring rules and the derivation both ask this)."""
    from components.spec.images import parse_image  # noqa: PLC0415 -- spec imports apps

    return DATABASE_EXPORTERS.get(parse_image(service.image).name)
