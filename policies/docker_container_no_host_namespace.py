"""docker-container-no-host-namespace: no Docker container shares a host namespace.

``networkMode: host`` puts the container on the host's interfaces (every port it opens is
public, past Docker's port publishing), ``pidMode: host`` lets it see and signal host
processes, ``ipcMode: host`` shares host shared memory, and ``usernsMode: host`` turns off user
namespace remapping. Each of the four set to ``host`` is one violation, unless the image is in
the policy config ``hostNamespaceImages`` (repositories, tags and registries ignored; default
``["livekit/livekit-server"]``: LiveKit uses host networking for its UDP media port range).
The allow-list exempts the image from all four modes, as configured. Other modes, such as
``bridge`` or ``container:<name>``, share no host namespace and pass; Docker compares the mode
exactly, and so does this policy.

Unknown values are deferred (the SDK reports the policy as not run, advisory, during preview;
``pulumi up`` checks the resolved values). ``image`` is read only once a mode is ``host``, so an
unknown image on a container without a host namespace defers nothing; violations found before
an unknown mode are kept.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from lib.images import matches
from lib.rule import resource_rule

CONTAINER_TYPE = "docker:index/container:Container"
RESOURCE_TYPES = (CONTAINER_TYPE,)
DEFAULT_HOST_NAMESPACE_IMAGES = ["livekit/livekit-server"]
MODES = ("networkMode", "pidMode", "ipcMode", "usernsMode")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config() or {}
    allowed_images = list(config.get("hostNamespaceImages", DEFAULT_HOST_NAMESPACE_IMAGES))
    image: Any = None
    for mode in MODES:
        if args.props.get(mode) != "host":
            continue  # Docker compares the mode exactly: "HOST" is no host namespace
        if image is None:
            image = args.props.get("image") or ""
            if isinstance(image, str) and image and matches(image, allowed_images):
                return
        report_violation(
            f"`{mode}` is host; image {image or '(none)'} is not in `hostNamespaceImages`.",
            None,
        )


docker_container_no_host_namespace = resource_rule(
    name="docker-container-no-host-namespace",
    rule_id="DKR-004",
    cis="5.9, 5.15, 5.16, 5.30",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers never share the host's network, PID, IPC or user namespace, except "
        "images in `hostNamespaceImages`."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove the `host` mode: use a Docker network and publish the ports the service needs "
        "(a UDP range works for media servers), and keep the container's own PID, IPC and user "
        "namespaces. An image that truly needs host networking is added to "
        "`hostNamespaceImages`."
    ),
    config={"hostNamespaceImages": {"type": "array", "items": {"type": "string"}}},
    validate=_validate,
)
