"""docker-container-image-pinned."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container, resource
from ..harness import RuleCases, fails, passes, unknown

DIGEST = "sha256:" + "a" * 64

CASES = RuleCases(
    cases=[
        passes(container("pass_baseline")),
        passes(container("pass_major_tag", image="postgres:16")),
        passes(container("pass_digest", image=f"postgres@{DIGEST}")),
        passes(container("pass_latest_with_digest", image=f"postgres:latest@{DIGEST}")),
        passes(container("pass_registry_port", image="registry.local:5000/team/postgres:16.4")),
        passes(container("pass_registry_port_digest", image=f"registry:5000/postgres@{DIGEST}")),
        passes(container("pass_namespace", image="ghcr.io/acme/postgres:16.4-alpine")),
        passes(container("pass_image_id", image=DIGEST)),
        passes(container("pass_bare_image_id", image="a" * 64)),
        passes(resource("docker:index/image:Image", "pass_not_a_container", {"name": "postgres"})),
        fails(
            container("fail_no_tag", image="postgres"),
            "Image postgres has no tag, so Docker pulls latest.",
        ),
        fails(
            container("fail_latest", image="postgres:latest"),
            "Image postgres:latest uses the latest tag.",
        ),
        fails(
            container("fail_registry_port_no_tag", image="registry:5000/postgres"),
            "Image registry:5000/postgres has no tag, so Docker pulls latest.",
        ),
        fails(
            container("fail_registry_port_latest", image="localhost:5000/postgres:latest"),
            "Image localhost:5000/postgres:latest uses the latest tag.",
        ),
        fails(
            container("fail_fully_qualified", image="docker.io/library/postgres"),
            "Image docker.io/library/postgres has no tag, so Docker pulls latest.",
        ),
        fails(
            container("fail_empty_tag", image="postgres:"),
            "Image postgres: has no tag, so Docker pulls latest.",
        ),
        fails(container("fail_empty", image=""), "`image` is not set."),
        fails(container("fail_missing", image=None), "`image` is not set."),
        unknown(container("unknown_image", image=UNKNOWN), ".image"),
    ],
)
