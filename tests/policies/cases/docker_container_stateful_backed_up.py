"""docker-container-stateful-backed-up (a stack policy): containers that keep data, with and
without the backup job that covers them."""

from __future__ import annotations

from dataclasses import replace

from components.plan.recording import UNKNOWN

from ..conftest import BACKUP_JOB, PGDATA, backup_job, container, resource
from ..fixtures_cloud import BASELINE, DB_CONTAINER, docker_volume, protected, swap, without
from ..harness import (
    RuleCases,
    except_label,
    excepted,
    fails,
    label_source,
    passes,
    stack_fails,
    stack_passes,
    stack_unknown,
)

RULE = "docker-container-stateful-backed-up"
REASON = "platform:backups.services.cache.skip: a cache the app rebuilds on start"


def uncovered(name: str, why: str) -> str:
    return f"Container {name} {why}, and no backup job covers it: a failed disk loses its data."


def database(name: str, image: str = "postgres:16.4", what: str = "PostgreSQL") -> str:
    return uncovered(name, f"runs {what} ({image})")


FILES = container(
    "files", image="nginx:1.27", volumes=[{"volumeName": "files-data", "containerPath": "/srv"}]
)
FILES_DATA = protected(docker_volume("files-volume", "files-data"))
# A reader of the database's own volume (as Nginx reads the certificates certbot writes): the
# volume is covered once, by the job of the container it belongs to.
READER = container(
    "reader", image="nginx:1.27", volumes=[{"volumeName": PGDATA, "containerPath": "/srv"}]
)
SCRATCH = docker_volume("scratch-volume", "scratch")
WEB_SCRATCH = container(
    "scratchpad", image="nginx:1.27", volumes=[{"volumeName": "scratch", "containerPath": "/tmp/s"}]
)

UNKNOWN_JOB = replace(
    resource(
        BACKUP_JOB, "db-backup", {"container": "db", "containerUrn": UNKNOWN, "offsite": "s3"}
    ),
    custom=False,
)

STACKS = [
    stack_passes("pass_baseline", BASELINE),
    stack_fails(
        "fail_no_job",
        without(BASELINE, "db-backup"),
        ("db", database("db")),
    ),
    stack_fails(
        "fail_job_covers_another_container",
        swap(BASELINE, backup_job(FILES, name="db-backup")),
        ("db", database("db")),
    ),
    stack_fails(
        "fail_protected_volume_without_job",
        [*BASELINE, FILES_DATA, FILES],
        ("files", uncovered("files", "mounts the protected volume files-data")),
        others=None,
    ),
    stack_passes(
        "pass_protected_volume_with_job",
        [*BASELINE, FILES_DATA, FILES, backup_job(FILES)],
        others=None,
    ),
    stack_passes("pass_volume_covered_by_another_containers_job", [*BASELINE, READER], others=None),
    stack_fails(
        "fail_shared_volume_whose_owner_has_no_job",
        [*without(BASELINE, "db-backup"), READER],
        ("db", database("db")),
        ("reader", uncovered("reader", f"mounts the protected volume {PGDATA}")),
        others=None,
    ),
    # An unprotected volume is not the stack saying its data matters (another rule says it
    # should be protected): no backup asked.
    stack_passes("pass_unprotected_volume", [*BASELINE, SCRATCH, WEB_SCRATCH], others=None),
    stack_passes(
        "pass_no_container_with_unknown_job",
        [backup_job(DB_CONTAINER, name="orphan")],
        others=None,
    ),
    stack_unknown(
        "unknown_image",
        swap(BASELINE, container("db", image=UNKNOWN)),
        ".image",
        others=None,
    ),
    stack_unknown(
        "unknown_job_container_urn",
        swap(BASELINE, UNKNOWN_JOB),
        ".containerUrn",
        others=None,
    ),
]

CACHE = container(
    "except_cache_skipped",
    image="redis:7.4.2",
    volumes=None,
    labels=[except_label(RULE, REASON)],
)

CASES = RuleCases(
    stack=[
        *BASELINE,
        backup_job(container("pass_mariadb_with_job", image="mariadb:11.4", volumes=None)),
    ],
    cases=[
        passes(container("pass_mariadb_with_job", image="mariadb:11.4", volumes=None)),
        passes(container("pass_stateless", image="nginx:1.27", volumes=None)),
        fails(
            container("fail_redis", image="redis:7.4.2", volumes=None),
            database("fail_redis", "redis:7.4.2", "Redis"),
        ),
        fails(
            container(
                "fail_influx_other_registry", image="quay.io/influxdb/influxdb:1.8.10", volumes=None
            ),
            database("fail_influx_other_registry", "quay.io/influxdb/influxdb:1.8.10", "InfluxDB"),
        ),
        excepted(
            CACHE,
            REASON,
            label_source(RULE),
            database("except_cache_skipped", "redis:7.4.2", "Redis"),
        ),
    ],
    stacks=STACKS,
)
