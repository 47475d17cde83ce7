"""docker-container-no-docker-socket: no Docker container mounts the Docker socket.

Access to the Docker API socket is root on the host (start a privileged container, mount
``/``). A host mount (``volumes[].hostPath`` or a bind ``mounts[].source``) of
``/var/run/docker.sock`` or ``/run/docker.sock``, or of the directories holding it, ``/var/run``
and ``/run``, is a violation. The exception: images in the policy config ``socketImages``
(repositories, tags and registries ignored; default ``["portainer/portainer-ce",
"portainer/agent"]``) may mount it with ``readOnly: true``. Note that a read-only bind does not
stop API calls through a socket: the allow-list is what really grants access.

Mounting a parent such as ``/`` or ``/var`` also reaches the socket: ``/`` is reported by
docker-container-no-sensitive-host-path, ``/var`` by neither. This policy owns the four socket
paths above, and that policy does not report them again.

Unknown values are deferred (the SDK reports the policy as not run, advisory, during preview;
``pulumi up`` checks the resolved values): an unknown mount list, host path or mount type.
``image`` and ``readOnly`` are read only for a socket mount, so an unknown image on a container
without one defers nothing.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from lib.host_paths import DOCKER_SOCKET_FILES, DOCKER_SOCKET_PATHS, host_mounts
from lib.images import matches
from lib.rule import resource_rule

CONTAINER_TYPE = "docker:index/container:Container"
RESOURCE_TYPES = (CONTAINER_TYPE,)
DEFAULT_SOCKET_IMAGES = ["portainer/portainer-ce", "portainer/agent"]


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config() or {}
    allowed_images = list(config.get("socketImages", DEFAULT_SOCKET_IMAGES))
    image: Any = None
    for mount in host_mounts(args.props):
        if mount.path not in DOCKER_SOCKET_PATHS:
            continue
        if image is None:
            image = args.props.get("image") or ""
        shown = (
            f"the Docker socket {mount.path}"
            if mount.path in DOCKER_SOCKET_FILES
            else f"the Docker socket's directory {mount.path}"
        )
        if not (isinstance(image, str) and image and matches(image, allowed_images)):
            report_violation(
                f"{mount.where} mounts {shown}; image {image or '(none)'} is not in "
                "`socketImages`.",
                None,
            )
        elif not mount.read_only():
            report_violation(
                f"{mount.where} mounts {shown} read-write; image {image} may mount it "
                "read-only only.",
                None,
            )


docker_container_no_docker_socket = resource_rule(
    name="docker-container-no-docker-socket",
    rule_id="DKR-003",
    cis="5.31",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers never mount the Docker socket, except images in `socketImages`, "
        "read-only."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Remove the mount. A service that must talk to Docker goes through a socket proxy that "
        "allows only the API calls it needs; the proxy's image is then listed in `socketImages` "
        "and mounts the socket with `readOnly: true`."
    ),
    config={"socketImages": {"type": "array", "items": {"type": "string"}}},
    validate=_validate,
)
