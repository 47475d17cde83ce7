"""docker-container-database-volume-protected (a stack policy): database containers with their
volumes, in one stack and in whole stacks of their own."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import PGDATA, container
from ..fixtures_cloud import BASELINE, docker_volume, protected, swap, without
from ..harness import (
    RuleCases,
    fails,
    passes,
    stack_fails,
    stack_passes,
    stack_unknown,
)

DATA_DIR = "/var/lib/postgresql/data"
HOST_DIR = [{"hostPath": "/srv/postgres", "containerPath": DATA_DIR}]


def named(volume: str, path: str = DATA_DIR) -> list[dict[str, Any]]:
    return [{"volumeName": volume, "containerPath": path}]


def no_storage(name: str, database: str, image: str) -> str:
    return (
        f"Container {name} runs {database} ({image}) without a volume or host directory for "
        "its data; the data dies with the container."
    )


def undeclared(name: str, volume: str) -> str:
    return f"Container {name} mounts volume {volume}, which no docker.Volume in the stack declares."


def unprotected(name: str, volume: str, declared_by: str) -> str:
    return (
        f"Container {name} mounts volume {volume}, whose docker.Volume {declared_by} is not "
        "protected."
    )


def on_baseline(*changed: Any) -> list[Any]:
    return swap(BASELINE, *changed)


# The cloud baseline (its db container mounts the protected pgdata) with one thing changed; the
# whole pack's diagnostics are these.
VIOLATION_KINDS = [
    stack_passes("pass_baseline", BASELINE),
    stack_fails(
        "fail_volume_not_declared",
        without(BASELINE, "pgdata"),
        ("db", undeclared("db", PGDATA)),
    ),
    stack_fails(
        "fail_no_volume",
        on_baseline(container("db", volumes=None)),
        ("db", no_storage("db", "PostgreSQL", "postgres:16.4")),
    ),
    stack_fails(
        "fail_anonymous_volume",
        on_baseline(container("db", volumes=[{"containerPath": DATA_DIR}])),
        ("db", no_storage("db", "PostgreSQL", "postgres:16.4")),
    ),
    stack_fails(
        "fail_anonymous_volume_mount",
        on_baseline(container("db", volumes=None, mounts=[{"type": "volume", "target": DATA_DIR}])),
        ("db", no_storage("db", "PostgreSQL", "postgres:16.4")),
    ),
    stack_fails(
        "fail_tmpfs_mount",
        on_baseline(container("db", volumes=None, mounts=[{"type": "tmpfs", "target": DATA_DIR}])),
        ("db", no_storage("db", "PostgreSQL", "postgres:16.4")),
    ),
    stack_fails(
        "fail_postgis_no_volume",
        on_baseline(container("db", image="postgis/postgis:16-3.4", volumes=None)),
        ("db", no_storage("db", "PostgreSQL", "postgis/postgis:16-3.4")),
    ),
    stack_fails(
        "fail_second_volume_in_mounts_not_declared",
        on_baseline(
            container("db", mounts=[{"type": "volume", "source": "pgwal", "target": "/pgwal"}])
        ),
        ("db", undeclared("db", "pgwal")),
    ),
    stack_fails(
        "fail_same_name_declared_twice_one_unprotected",
        [*BASELINE, docker_volume("pgdata-copy")],
        ("db", unprotected("db", PGDATA, "pgdata-copy")),
        others=(
            (
                "stateful-resource-protected",
                "pgdata-copy",
                "Docker volume pgdata-copy does not set the protect resource option.",
            ),
        ),
    ),
    # Other container policies read the image too: only this policy's advisory is compared.
    stack_unknown(
        "unknown_image_is_a_stack_wide_not_run_advisory",
        on_baseline(container("db", image=UNKNOWN)),
        ".image",
        others=None,
    ),
]

# Stacks analyzed one by one on top of the baseline (a stack-wide advisory names no resource);
# other rules' diagnostics on them are not compared.
FIXTURE_STACKS = [
    stack_passes(
        "pass_host_directory_with_unknown_volume_name_elsewhere",
        on_baseline(container("db", volumes=HOST_DIR), docker_volume("other", UNKNOWN)),
        others=None,
    ),
    stack_passes(
        "pass_not_a_database_with_unknown_volumes",
        on_baseline(container("web", image="nginx:1.27", volumes=UNKNOWN)),
        others=None,
    ),
    stack_passes(
        "pass_protected_volume_with_unknown_driver",
        on_baseline(
            protected(docker_volume("pgdata")),
            container("cache", image="redis:7.4", volumes=[{"volumeName": "pgdata"}]),
        ),
        others=None,
    ),
    stack_fails(
        "fail_small_no_volume",
        on_baseline(container("db", volumes=None)),
        ("db", no_storage("db", "PostgreSQL", "postgres:16.4")),
        others=None,
    ),
    stack_fails(
        "fail_unprotected_volume",
        on_baseline(docker_volume("pgdata")),
        ("db", unprotected("db", PGDATA, "pgdata")),
        others=None,
    ),
    stack_unknown(
        "unknown_image", on_baseline(container("db", image=UNKNOWN)), ".image", others=None
    ),
    stack_unknown(
        "unknown_volumes", on_baseline(container("db", volumes=UNKNOWN)), ".volumes", others=None
    ),
    stack_unknown(
        "unknown_volume_name",
        on_baseline(container("db", volumes=named(UNKNOWN))),
        ".volumes.0.volumeName",
        others=None,
    ),
    stack_unknown(
        "unknown_mount_type",
        on_baseline(container("db", volumes=None, mounts=[{"type": UNKNOWN, "target": DATA_DIR}])),
        ".mounts.0.type",
        others=None,
    ),
    stack_unknown(
        "unknown_mount_source",
        on_baseline(
            container(
                "db",
                volumes=None,
                mounts=[{"type": "volume", "source": UNKNOWN, "target": DATA_DIR}],
            )
        ),
        ".mounts.0.source",
        others=None,
    ),
    stack_unknown(
        "unknown_declared_volume_name",
        on_baseline(docker_volume("other", UNKNOWN)),
        ".name",
        others=None,
    ),
]

VALKEY = protected(docker_volume("vol_valkey", "valkey-data"))
INFLUX = docker_volume("vol_influx", "influx-data")
RABBIT = docker_volume("vol_rabbit", "rabbit-data")

# The resource cases, analyzed together in one stack with the baseline and these volumes.
CASES = RuleCases(
    stack=[*BASELINE, VALKEY, INFLUX, RABBIT],
    cases=[
        passes(container("pass_postgres")),
        passes(
            container(
                "pass_volume_mount",
                volumes=None,
                mounts=[{"type": "volume", "source": PGDATA, "target": DATA_DIR}],
            )
        ),
        passes(
            container(
                "pass_host_path",
                image="mysql:8.4",
                volumes=[{"hostPath": "/srv/mysql", "containerPath": "/var/lib/mysql"}],
            )
        ),
        passes(
            container(
                "pass_bind_mount",
                image="mongo:7",
                volumes=None,
                mounts=[{"type": "bind", "source": "/srv/mongo", "target": "/data/db"}],
            )
        ),
        passes(container("pass_not_a_database", image="nginx:1.27", volumes=None)),
        passes(container("pass_mosquitto", image="eclipse-mosquitto:2", volumes=None)),
        passes(
            container("pass_registry_and_digest", image="docker.io/library/postgres:16@sha256:ab")
        ),
        passes(
            container("pass_valkey", image="valkey/valkey:8", volumes=named("valkey-data", "/data"))
        ),
        fails(
            container("fail_no_storage", volumes=None),
            no_storage("fail_no_storage", "PostgreSQL", "postgres:16.4"),
        ),
        fails(
            container(
                "fail_anonymous_volume", image="redis:7.4", volumes=[{"containerPath": "/d"}]
            ),
            no_storage("fail_anonymous_volume", "Redis", "redis:7.4"),
        ),
        fails(
            container(
                "fail_tmpfs",
                image="valkey/valkey:8",
                volumes=None,
                mounts=[{"type": "tmpfs", "target": "/data"}],
            ),
            no_storage("fail_tmpfs", "Valkey", "valkey/valkey:8"),
        ),
        fails(
            container("fail_undeclared", image="mariadb:11", volumes=named("mariadb-data")),
            undeclared("fail_undeclared", "mariadb-data"),
        ),
        fails(
            container("fail_unprotected", image="influxdb:2.7", volumes=named("influx-data")),
            unprotected("fail_unprotected", "influx-data", "vol_influx"),
        ),
        fails(
            container(
                "fail_other_registry", image="ghcr.io/cloudnative-pg/postgresql:16", volumes=None
            ),
            no_storage("fail_other_registry", "PostgreSQL", "ghcr.io/cloudnative-pg/postgresql:16"),
        ),
        fails(
            container(
                "fail_one_of_two_unprotected",
                image="rabbitmq:3-management",
                volumes=[*named(PGDATA), *named("rabbit-data", "/var/lib/rabbitmq")],
            ),
            unprotected("fail_one_of_two_unprotected", "rabbit-data", "vol_rabbit"),
        ),
    ],
    stacks=[*VIOLATION_KINDS, *FIXTURE_STACKS],
)
