"""docker-container-no-docker-socket, through the pack process and the analyzer protocol."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import (
    COMPLIANT_CONTAINER,
    PACK_DIR,
    UNKNOWN,
    check,
    container,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "docker-container-no-docker-socket"
DESCRIPTION = (
    "Docker containers never mount the Docker socket, except images in `socketImages`, read-only."
)
VOLUMES: list[dict[str, Any]] = COMPLIANT_CONTAINER["volumes"]
SOCKET = "/var/run/docker.sock"
PORTAINER = "portainer/portainer-ce:2.21.4"


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def not_run(path: str) -> tuple[str, str, str]:
    return (
        POLICY,
        "advisory",
        not_run_prefix(POLICY) + f"string value at {path} can't be known during preview",
    )


def socket_volume(host_path: str = SOCKET, **extra: Any) -> dict[str, Any]:
    return {"hostPath": host_path, "containerPath": "/var/run/docker.sock", **extra}


def bind(source: str, **extra: Any) -> dict[str, Any]:
    return {"type": "bind", "source": source, "target": "/var/run/docker.sock", **extra}


def with_volume(name: str, *volumes: Any, **changes: Any) -> Any:
    return container(name, volumes=[*VOLUMES, *volumes], **changes)


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_allowed_images_mounting_the_socket_read_only_pass(pack: PolicyPackProcess) -> None:
    allowed = [
        with_volume("portainer", socket_volume(readOnly=True), image=PORTAINER),
        container(
            "agent",
            image="docker.io/portainer/agent:2.21.4",
            mounts=[bind("/run/docker.sock", readOnly=True)],
        ),
        with_volume("portainer_dir", socket_volume("/var/run", readOnly=True), image=PORTAINER),
    ]
    assert check(pack, *allowed) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"volumes": [*VOLUMES, socket_volume()]},
            "volumes[1] mounts the Docker socket /var/run/docker.sock; image postgres:16.4 is "
            "not in `socketImages`.",
            id="volume-socket",
        ),
        pytest.param(
            {"volumes": [*VOLUMES, socket_volume(readOnly=True)]},
            "volumes[1] mounts the Docker socket /var/run/docker.sock; image postgres:16.4 is "
            "not in `socketImages`.",
            id="read-only-does-not-help-other-images",
        ),
        pytest.param(
            {"mounts": [bind("/run/docker.sock")]},
            "mounts[0] mounts the Docker socket /run/docker.sock; image postgres:16.4 is not "
            "in `socketImages`.",
            id="bind-mount-run-socket",
        ),
        pytest.param(
            {"volumes": [*VOLUMES, socket_volume("/var/run")]},
            "volumes[1] mounts the Docker socket's directory /var/run; image postgres:16.4 is "
            "not in `socketImages`.",
            id="var-run-directory",
        ),
        pytest.param(
            {"mounts": [bind("/run/")]},
            "mounts[0] mounts the Docker socket's directory /run; image postgres:16.4 is not "
            "in `socketImages`.",
            id="run-directory-trailing-slash",
        ),
        pytest.param(
            {"volumes": [*VOLUMES, socket_volume("//var/run/./docker.sock")]},
            "volumes[1] mounts the Docker socket /var/run/docker.sock; image postgres:16.4 is "
            "not in `socketImages`.",
            id="path-normalised",
        ),
        pytest.param(
            {"image": "portainer/portainer-ee:2.21.4", "volumes": [*VOLUMES, socket_volume()]},
            "volumes[1] mounts the Docker socket /var/run/docker.sock; image "
            "portainer/portainer-ee:2.21.4 is not in `socketImages`.",
            id="similar-image-not-allowed",
        ),
        pytest.param(
            {"image": PORTAINER, "volumes": [*VOLUMES, socket_volume()]},
            "volumes[1] mounts the Docker socket /var/run/docker.sock read-write; image "
            "portainer/portainer-ce:2.21.4 may mount it read-only only.",
            id="allowed-image-read-write",
        ),
        pytest.param(
            {"image": "portainer/agent:2.21.4", "mounts": [bind("/var/run", readOnly=False)]},
            "mounts[0] mounts the Docker socket's directory /var/run read-write; image "
            "portainer/agent:2.21.4 may mount it read-only only.",
            id="allowed-image-directory-read-only-false",
        ),
    ],
)
def test_each_socket_mount_is_one_violation(
    pack: PolicyPackProcess, changes: dict[str, Any], message: str
) -> None:
    assert diagnostics(check(pack, container("app", **changes))) == [violation(message)]


def test_every_socket_mount_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = with_volume(
        "app",
        socket_volume(),
        {"hostPath": "/srv/app", "containerPath": "/data"},
        mounts=[
            {"type": "volume", "source": "pgdata", "target": "/data2"},
            bind("/run"),
        ],
    )
    assert diagnostics(check(pack, mutated)) == [
        violation(
            "volumes[1] mounts the Docker socket /var/run/docker.sock; image postgres:16.4 is "
            "not in `socketImages`."
        ),
        violation(
            "mounts[1] mounts the Docker socket's directory /run; image postgres:16.4 is not "
            "in `socketImages`."
        ),
    ]


def test_unknown_image_of_a_socket_mount_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    mutated = with_volume("app", socket_volume(), image=UNKNOWN)
    # Other image rules defer too; this one reads the image only because of the socket.
    mine = [d for d in diagnostics(check(pack, mutated)) if d[0] == POLICY]
    assert mine == [not_run(".image")]


def test_container_without_image_is_not_allowed_the_socket(pack: PolicyPackProcess) -> None:
    mutated = with_volume("app", socket_volume(readOnly=True), image=None)
    mine = [d for d in diagnostics(check(pack, mutated)) if d[0] == POLICY]
    assert mine == [
        violation(
            "volumes[1] mounts the Docker socket /var/run/docker.sock; image (none) is not in "
            "`socketImages`."
        )
    ]


def test_configured_socket_images_replace_the_default(unconfigured_pack: PolicyPackProcess) -> None:
    proxy = with_volume(
        "proxy", socket_volume(readOnly=True), image="tecnativa/docker-socket-proxy:0.3.0"
    )
    portainer = with_volume("portainer", socket_volume(readOnly=True), image=PORTAINER)
    assert [v.urn for v in check(unconfigured_pack, proxy, portainer)] == [proxy.urn]
    unconfigured_pack.configure({POLICY: {"socketImages": ["tecnativa/docker-socket-proxy"]}})
    assert diagnostics(check(unconfigured_pack, proxy, portainer)) == [
        violation(
            "volumes[1] mounts the Docker socket /var/run/docker.sock; image "
            "portainer/portainer-ce:2.21.4 is not in `socketImages`."
        )
    ]
    unconfigured_pack.configure({POLICY: {"socketImages": []}})
    assert [v.urn for v in check(unconfigured_pack, proxy, portainer)] == [proxy.urn, portainer.urn]


def test_shipped_config_is_the_default(unconfigured_pack: PolicyPackProcess) -> None:
    shipped = json.loads((PACK_DIR / "policy-config.json").read_text())
    assert shipped[POLICY] == {"socketImages": ["portainer/portainer-ce", "portainer/agent"]}
    unconfigured_pack.configure({POLICY: shipped[POLICY]})
    checked = [
        with_volume("portainer", socket_volume(readOnly=True), image=PORTAINER),
        with_volume("app", socket_volume(readOnly=True)),
    ]
    assert [v.urn for v in check(unconfigured_pack, *checked)] == [checked[1].urn]


FIXTURES = [
    container("pass_compliant"),
    with_volume("pass_portainer_ro", socket_volume(readOnly=True), image=PORTAINER),
    container(
        "pass_agent_bind_ro",
        image="portainer/agent:2.21.4",
        mounts=[bind("/var/run/docker.sock", readOnly=True)],
    ),
    with_volume("pass_other_host_path", {"hostPath": "/srv/app", "containerPath": "/data"}),
    with_volume("pass_var_run_subdir", {"hostPath": "/var/run/app", "containerPath": "/run/app"}),
    container(
        "pass_volume_named_like_socket",
        mounts=[{"type": "volume", "source": "/var/run/docker.sock", "target": "/data"}],
    ),
    container("pass_tmpfs_run", mounts=[{"type": "tmpfs", "target": "/var/run"}]),
    # `image` is read only for a socket mount: an unknown image alone defers nothing.
    container("pass_unknown_image", image=UNKNOWN),
    resource(
        "docker:index/image:Image",
        "pass_not_a_container",
        {"volumes": [socket_volume()]},
    ),
    with_volume("fail_socket", socket_volume()),
    with_volume("fail_socket_ro", socket_volume(readOnly=True)),
    container("fail_bind_run", mounts=[bind("/run")]),
    with_volume("fail_portainer_rw", socket_volume(), image=PORTAINER),
    with_volume("unknown_host_path", socket_volume(UNKNOWN)),
    container("unknown_volumes", volumes=UNKNOWN),
    container("unknown_mount_type", mounts=[{"type": UNKNOWN, "source": SOCKET, "target": "/s"}]),
    container("unknown_mount_source", mounts=[bind(UNKNOWN)]),
    with_volume("unknown_image", socket_volume(readOnly=True), image=UNKNOWN),
    with_volume("unknown_read_only", socket_volume(readOnly=UNKNOWN), image=PORTAINER),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # one diagnostic each
    assert len([v for v in violations if v.policy == POLICY]) == len(
        [n for n in names if not n.startswith("pass_")]
    )
