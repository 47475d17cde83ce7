"""docker-container-stateful-backed-up: every container that keeps data has a backup job.

A ``docker:index/container:Container`` keeps data when its image is a database
(``lib.images.DATABASE_IMAGES``, the last part of the repository; tags, digests and registries
ignored) or when it mounts a named volume that a ``docker:index/volume:Volume`` of the stack
declares with the ``protect`` resource option (protected: the stack says its data must live
on). A protected volume is kept through a destroy, but not through a failed disk.

A protected volume that another container's backup job already covers (it mounts the same
volume: a proxy reading the certificates a certbot container writes) does not count again.

Such a container must be covered by a backup job: a ``selfhosted:backup:BackupJob`` resource
(components/docker/backup_job.py) whose ``containerUrn`` input is the container's URN. A
service that deliberately has none declares the exception with its reason (the program does
that for ``platform:backups.services.<name>.skip``: the label
``selfhosted.policy.except.docker-container-stateful-backed-up``).

Unknown values are deferred: an unknown image, volume list or volume name of a container, an
unknown ``name`` of a declared volume or an unknown ``containerUrn`` of a job makes the SDK report
the policy as not run (advisory) during preview; ``pulumi up`` checks the resolved values.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from lib.images import DATABASE_IMAGES, parse_image
from lib.rule import stack_rule
from lib.types import BACKUP_JOB, DOCKER_CONTAINER, DOCKER_VOLUME

RESOURCE_TYPES = (DOCKER_CONTAINER, DOCKER_VOLUME, BACKUP_JOB)


def _named_volumes(container: PolicyResource) -> list[str]:
    found = [
        str(volume.get("volumeName"))
        for volume in container.props.get("volumes") or []
        if volume.get("volumeName")
    ]
    found += [
        str(mount.get("source"))
        for mount in container.props.get("mounts") or []
        if mount.get("type") == "volume" and mount.get("source")
    ]
    return found


def _why_stateful(
    container: PolicyResource, protected: set[str], covered_volumes: Callable[[], set[str]]
) -> str | None:
    image = str(container.props.get("image") or "")
    database = DATABASE_IMAGES.get(parse_image(image).name)
    if database is not None:
        return f"runs {database} ({image})"
    kept = [name for name in _named_volumes(container) if name in protected]
    if kept:
        # A volume another container's job already backs up (a proxy reading the certificates
        # a certbot container writes) is covered once, by that job.
        kept = [name for name in kept if name not in covered_volumes()]
    if kept:
        return f"mounts the protected volume {', '.join(dict.fromkeys(kept))}"
    return None


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    containers = [r for r in args.resources if r.resource_type == DOCKER_CONTAINER]
    if not containers:
        return
    protected = {
        str(r.props.get("name"))
        for r in args.resources
        if r.resource_type == DOCKER_VOLUME and r.opts.protect
    }
    found: list[set[str]] = []

    def covered() -> set[str]:
        if not found:
            found.append(
                {
                    str(r.props.get("containerUrn"))
                    for r in args.resources
                    if r.resource_type == BACKUP_JOB
                }
            )
        return found[0]

    volumes: list[set[str]] = []

    def covered_volumes() -> set[str]:
        if not volumes:
            volumes.append(
                {name for c in containers if c.urn in covered() for name in _named_volumes(c)}
            )
        return volumes[0]

    for container in containers:
        why = _why_stateful(container, protected, covered_volumes)
        if why is None:
            continue
        if container.urn not in covered():
            report_violation(
                f"Container {container.name} {why}, and no backup job covers it: a failed "
                "disk loses its data.",
                container.urn,
            )


docker_container_stateful_backed_up = stack_rule(
    name="docker-container-stateful-backed-up",
    rule_id="DKR-023",
    resource_types=RESOURCE_TYPES,
    description=(
        "Every container that keeps data (a database image, or a protected volume) is covered "
        "by a backup job, or declares why it is not."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Add a platform:backups section to the stack: every stateful service then gets a job "
        "(docs/backups.md). A service whose data needs no backup declares "
        "platform:backups.services.<name>.skip with the reason."
    ),
    validate=_validate,
)
