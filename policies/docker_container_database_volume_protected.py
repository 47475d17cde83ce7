"""docker-container-database-volume-protected: database data lives in a protected volume.

A ``docker:index/container:Container`` runs a database when the last part of its image
repository (``images.parse_image``; tags, digests and registries ignored) is one of
``lib.images.DATABASE_IMAGES``: PostgreSQL (and PostGIS, TimescaleDB, pgvector builds), MySQL,
MariaDB, Percona, MongoDB, Redis, Valkey, KeyDB, InfluxDB, RabbitMQ, CouchDB, Cassandra and
Elasticsearch/OpenSearch. Eclipse Mosquitto is not on the list: its persistence (retained
messages) is optional and off by default.

Such a container must
- mount persistent storage: a named volume (``volumes[].volumeName``, or a ``mounts[]`` entry
  of type ``volume`` with a ``source``) or a host directory (``volumes[].hostPath``, or a
  ``mounts[]`` entry of type ``bind``). A host directory is outside Pulumi's lifecycle and
  survives the container, so it counts. Anonymous volumes and tmpfs die with the container.
- and every named volume it mounts must be declared in the stack as a
  ``docker:index/volume:Volume`` (matched by the volume's ``name`` property) with the
  ``protect`` resource option. A volume Docker creates implicitly is in no program, so
  nothing states that it must be kept.

Which mount holds the data directory is not checked (``PGDATA`` and images with other data
paths make that guesswork).

Unknown values are deferred: an unknown image, mount list, volume name or mount type makes
the SDK report the policy as not run (advisory) during preview; ``pulumi up`` checks the
resolved values. Volume names of the stack's ``docker.Volume`` resources are read only when a
database container mounts a named volume.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from lib.images import DATABASE_IMAGES, parse_image
from lib.rule import stack_rule
from lib.types import DOCKER_CONTAINER, DOCKER_VOLUME

RESOURCE_TYPES = (DOCKER_CONTAINER, DOCKER_VOLUME)


def _storage(container: PolicyResource) -> tuple[list[str], bool]:
    """(named volumes mounted, whether a host directory is mounted)."""
    named: list[str] = []
    host_directory = False
    for volume in container.props.get("volumes") or []:
        name = volume.get("volumeName")
        if name:
            named.append(str(name))
        elif volume.get("hostPath"):
            host_directory = True
    for mount in container.props.get("mounts") or []:
        kind = mount.get("type")
        if kind == "volume":
            source = mount.get("source")  # none: an anonymous volume
            if source:
                named.append(str(source))
        elif kind == "bind":
            host_directory = True
    return named, host_directory


def _declared_volumes(resources: list[PolicyResource]) -> dict[str, list[PolicyResource]]:
    declared: dict[str, list[PolicyResource]] = {}
    for resource in resources:
        if resource.resource_type == DOCKER_VOLUME:
            declared.setdefault(str(resource.props.get("name")), []).append(resource)
    return declared


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    declared: dict[str, list[PolicyResource]] | None = None
    for container in args.resources:
        if container.resource_type != DOCKER_CONTAINER:
            continue
        image = str(container.props.get("image") or "")
        database = DATABASE_IMAGES.get(parse_image(image).name)
        if database is None:
            continue
        named, host_directory = _storage(container)
        if not named and not host_directory:
            report_violation(
                f"Container {container.name} runs {database} ({image}) without a volume or "
                "host directory for its data; the data dies with the container.",
                container.urn,
            )
            continue
        if not named:
            continue  # a host directory only
        if declared is None:
            declared = _declared_volumes(args.resources)
        for name in dict.fromkeys(named):
            volumes = declared.get(name, [])
            if not volumes:
                report_violation(
                    f"Container {container.name} mounts volume {name}, which no docker.Volume "
                    "in the stack declares.",
                    container.urn,
                )
            for volume in volumes:
                if not volume.opts.protect:
                    report_violation(
                        f"Container {container.name} mounts volume {name}, whose docker.Volume "
                        f"{volume.name} is not protected.",
                        container.urn,
                    )


docker_container_database_volume_protected = stack_rule(
    name="docker-container-database-volume-protected",
    rule_id="DKR-017",
    resource_types=RESOURCE_TYPES,
    description=(
        "Database containers keep their data in a named volume declared in the stack as a "
        "protected docker.Volume (or in a host directory), never only in the container."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Declare a `docker.Volume` with `opts=pulumi.ResourceOptions(protect=True)` and mount "
        "it at the database's data directory, passing `volume.name` as `volume_name`."
    ),
    validate=_validate,
)
