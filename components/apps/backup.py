"""Which services are backed up, and how: decided once, from the stack (pure).

Every service that keeps data (``stateful``, a named volume, or a database image) gets a backup
job whose dump fits its engine, read from its image (``parse_image(image).name``):

- PostgreSQL (postgres, postgis, timescaledb, pgvector): ``pg_dump -Fc`` of every database plus
  ``pg_dumpall --globals-only``, run by the container's own client (a client older than the
  server refuses to dump it); restored with ``pg_restore --clean --if-exists``.
- MariaDB: ``mariadb-dump --single-transaction --quick`` (MariaDB 11 images have no
  ``mysqldump``); MySQL and Percona: ``mysqldump`` with the same options.
- MongoDB: ``mongodump --archive --gzip``; restored with ``mongorestore --drop``.
- Redis: ``BGSAVE``, ``LASTSAVE`` polled until it moves, then the RDB file it wrote.
- InfluxDB 1.x: ``influxd backup -portable``.
- Prometheus: a TSDB snapshot (``POST /api/v1/admin/tsdb/snapshot``, which needs
  ``--web.enable-admin-api``: hard links of the immutable blocks plus the head cut into one),
  read from the volume while Prometheus runs, then deleted; restored as the data directory.
- Alertmanager: its two state files (``nflog``, ``silences``), read while it runs: it writes
  each to a temporary file, fsyncs it and renames it over the old one
  (prometheus/alertmanager v0.27.0 nflog/nflog.go:553-577, silence/silence.go:982-1006), so
  an open of either name is always a complete file.
- anything else with named volumes: the volumes, with the container stopped while they are read
  (Grafana's SQLite database among them: a copy of a file SQLite is writing may be torn; a stop
  of Grafana stops no alert, which Prometheus and Alertmanager evaluate and send).

A stateful service that fits none of these (no database the jobs know, no volume) is refused
by the spec (components/spec/rules/backups.py) unless ``platform:backups.services.<name>.skip``
gives the reason. Credentials never pass through the program: each dump runs inside its
container and reads the service's own environment (``POSTGRES_PASSWORD``,
``MARIADB_ROOT_PASSWORD``, ``REDIS_PASSWORD``, ...), which the container already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.spec.images import parse_image

if TYPE_CHECKING:
    from components.spec import PlatformSpec, ServiceSpec
    from components.spec.backups import BackupsSpec
    from components.spec.services import VolumeMountSpec

# The policy rule a declared opt-out excepts (policies/docker_container_stateful_backed_up.py).
BACKUP_RULE = "docker-container-stateful-backed-up"

POSTGRES = "postgres"
MARIADB = "mariadb"
MYSQL = "mysql"
MONGODB = "mongodb"
REDIS = "redis"
INFLUXDB = "influxdb"
PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
VOLUMES = "volumes"

# Last part of the image repository -> the dump method.
IMAGE_METHODS: dict[str, str] = {
    "postgres": POSTGRES,
    "postgis": POSTGRES,
    "timescaledb": POSTGRES,
    "timescaledb-ha": POSTGRES,
    "pgvector": POSTGRES,
    "mariadb": MARIADB,
    "mysql": MYSQL,
    "mysql-server": MYSQL,
    "percona-server": MYSQL,
    "mongo": MONGODB,
    "mongodb-community-server": MONGODB,
    "redis": REDIS,
    "influxdb": INFLUXDB,
    "prometheus": PROMETHEUS,
    "alertmanager": ALERTMANAGER,
}
# Where each engine keeps its data in its official image: the volume mounted there is the one a
# file-level restore (Redis) writes into.
DATA_PATHS: dict[str, str] = {REDIS: "/data"}


@dataclass(frozen=True)
class BackupJob:
    """One service's backup: what runs, where, and what it reads."""

    service: str
    machine: str
    container: str  # the Docker container's name (the service's)
    method: str
    image: str
    volumes: tuple[tuple[str, str], ...]  # (Docker volume name, mount path in the container)

    @property
    def data_volume(self) -> str | None:
        """The volume holding the engine's data directory (Redis' /data), else the first."""
        wanted = DATA_PATHS.get(self.method)
        for name, path in self.volumes:
            if path == wanted:
                return name
        return self.volumes[0][0] if self.volumes else None


@dataclass(frozen=True)
class MachineBackups:
    """The jobs of one machine and the stack's backup settings they share."""

    machine: str
    host: str
    is_guest: bool
    settings: BackupsSpec
    jobs: tuple[BackupJob, ...]


def keeps_data(service: ServiceSpec) -> bool:
    """Whether a service holds data a failed disk would lose."""
    return (
        service.stateful or bool(_own_volumes(service)) or method_of(service) not in (None, VOLUMES)
    )


def _own_volumes(service: ServiceSpec) -> list[VolumeMountSpec]:
    # A volume borrowed from another service (``owner``, mounted read-only) is backed up by its
    # owner's job, once.
    return [mount for mount in service.volumes if mount.owner is None]


def method_of(service: ServiceSpec) -> str | None:
    """The dump method that fits the service's image, ``volumes`` for another image with
    volumes, None when nothing fits."""
    ref = parse_image(service.image)
    method = IMAGE_METHODS.get(ref.name)
    if method == INFLUXDB and not (ref.tag or "").startswith("1."):
        method = None  # InfluxDB 2 and 3 have other tools: their volumes, writer stopped
    if method is not None:
        return method
    return VOLUMES if _own_volumes(service) else None


def skipped(spec: PlatformSpec, name: str) -> str | None:
    """The declared reason ``name`` has no backup job, or None."""
    backups = spec.backups
    if backups is None or name not in backups.services:
        return None
    return backups.services[name].skip


def backup_jobs(spec: PlatformSpec) -> dict[str, MachineBackups]:
    """Each machine's backup jobs (machines with none are left out); none without a
    ``platform:backups`` section."""
    backups = spec.backups
    if backups is None:
        return {}
    found: dict[str, list[BackupJob]] = {}
    for name, service in spec.services.items():
        method = method_of(service)
        if not keeps_data(service) or method is None or skipped(spec, name) is not None:
            continue
        found.setdefault(service.machine, []).append(
            BackupJob(
                service=name,
                machine=service.machine,
                container=name,
                method=method,
                image=service.image,
                volumes=tuple((mount.name, mount.path) for mount in _own_volumes(service)),
            )
        )
    return {
        machine: MachineBackups(
            machine=machine,
            host=spec.host_of(machine),
            is_guest=spec.is_guest(machine),
            settings=backups,
            jobs=tuple(jobs),
        )
        for machine, jobs in sorted(found.items())
    }
