"""docker-container-image-pinned: Docker containers run a pinned image, never ``latest``.

A container's ``image`` must name an explicit tag other than ``latest``, or a digest
(``name@sha256:...``), or be an image ID (``sha256:<64 hex>`` or the bare 64 hex digits, as
``docker.RemoteImage.image_id`` gives): without one Docker pulls ``latest``, and a replaced
container silently runs whatever the registry serves that day. References are parsed with
``images.parse_image``, so a registry port is not a tag (``registry:5000/app`` has none).
A digest pins the image whatever the tag (``app:latest@sha256:...`` passes). The tag is only
compared with ``latest``: moving tags such as ``16`` or ``stable`` pass.

An unknown ``image`` (for example a ``RemoteImage`` output during preview) is deferred: the
SDK reports the policy as not run (advisory) during preview and ``pulumi up`` checks the
resolved value.
"""

from __future__ import annotations

import re

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.images import parse_image
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
# An image ID, as Docker accepts it in place of a reference.
IMAGE_ID = re.compile(r"(sha256:)?[0-9a-f]{64}")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    image = args.props.get("image")
    if not isinstance(image, str) or not image:
        report_violation("`image` is not set.", None)
        return
    if IMAGE_ID.fullmatch(image):
        return
    ref = parse_image(image)
    if ref.digest:
        return
    if ref.tag is None:
        report_violation(f"Image {image} has no tag, so Docker pulls latest.", None)
    elif ref.tag == "latest":
        report_violation(f"Image {image} uses the latest tag.", None)


docker_container_image_pinned = resource_rule(
    name="docker-container-image-pinned",
    rule_id="DKR-014",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers run a pinned image: an explicit tag other than latest, or a "
        "digest (@sha256:...)."
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Name a version tag (`postgres:16.4`) or, better, a digest "
        "(`postgres:16.4@sha256:...`, or a `docker.RemoteImage`'s `repo_digest`), and "
        "update it deliberately."
    ),
    validate=_validate,
)
