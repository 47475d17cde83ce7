"""docker-container-image-pinned, through the pack process and the analyzer protocol."""

from __future__ import annotations

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import (
    UNKNOWN,
    check,
    container,
    diagnostics,
    is_not_run,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "docker-container-image-pinned"
DESCRIPTION = (
    "Docker containers run a pinned image: an explicit tag other than latest, or a digest "
    "(@sha256:...)."
)
DIGEST = "sha256:" + "a" * 64


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "advisory", f"{DESCRIPTION}\n{message}")


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


@pytest.mark.parametrize(
    "image",
    [
        pytest.param("postgres:16", id="major-tag"),
        pytest.param(f"postgres@{DIGEST}", id="digest"),
        pytest.param(f"postgres:latest@{DIGEST}", id="latest-with-digest"),
        pytest.param("registry:5000/postgres:16.4", id="registry-port-and-tag"),
        pytest.param(f"registry:5000/postgres@{DIGEST}", id="registry-port-and-digest"),
        pytest.param("ghcr.io/acme/postgres:16.4-alpine", id="registry-namespace"),
        pytest.param(DIGEST, id="image-id"),
        pytest.param("a" * 64, id="bare-image-id"),
    ],
)
def test_pinned_images_pass(pack: PolicyPackProcess, image: str) -> None:
    assert check(pack, container("db", image=image)) == []


@pytest.mark.parametrize(
    ("image", "message"),
    [
        pytest.param("postgres", "Image postgres has no tag, so Docker pulls latest.", id="bare"),
        pytest.param("postgres:latest", "Image postgres:latest uses the latest tag.", id="latest"),
        pytest.param(
            "registry:5000/postgres",
            "Image registry:5000/postgres has no tag, so Docker pulls latest.",
            id="registry-port-is-not-a-tag",
        ),
        pytest.param(
            "localhost:5000/postgres:latest",
            "Image localhost:5000/postgres:latest uses the latest tag.",
            id="registry-port-and-latest",
        ),
        pytest.param(
            "docker.io/library/postgres",
            "Image docker.io/library/postgres has no tag, so Docker pulls latest.",
            id="fully-qualified",
        ),
        pytest.param(
            "postgres:", "Image postgres: has no tag, so Docker pulls latest.", id="empty-tag"
        ),
        pytest.param("", "`image` is not set.", id="empty"),
        pytest.param(None, "`image` is not set.", id="missing"),
    ],
)
def test_each_unpinned_image_is_one_violation(
    pack: PolicyPackProcess, image: str | None, message: str
) -> None:
    mutated = container("db", image=image)
    found = check(pack, mutated)
    assert diagnostics(found) == [violation(message)]
    assert found[0].urn == mutated.urn


def test_unknown_image_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    found = check(pack, container("db", image=UNKNOWN))
    unknown_image = "string value at .image can't be known during preview"
    assert [(v.policy, v.level, v.message) for v in found if v.policy == POLICY] == [
        (POLICY, "advisory", not_run_prefix(POLICY) + unknown_image)
    ]
    # Other policies that need the image defer too; none reports a violation.
    assert all(v.message == not_run_prefix(v.policy) + unknown_image for v in found)


FIXTURES = [
    container("pass_baseline"),
    container("pass_digest", image=f"postgres@{DIGEST}"),
    container("pass_registry_port", image="registry.local:5000/team/postgres:16.4"),
    resource("docker:index/image:Image", "pass_not_a_container", {"name": "postgres"}),
    container("fail_no_tag", image="postgres"),
    container("fail_latest", image="postgres:latest"),
    container("fail_registry_port_no_tag", image="registry.local:5000/postgres"),
    container("unknown_image", image=UNKNOWN),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # Other policies may also defer on an unknown_* resource, but report no violation.
    assert {v.policy for v in violations if not is_not_run(v)} == {POLICY}
