"""docker-container-no-sensitive-host-path, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import (
    COMPLIANT_CONTAINER,
    UNKNOWN,
    check,
    container,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "docker-container-no-sensitive-host-path"
DESCRIPTION = (
    "Docker containers never mount a sensitive host path: /, /etc, /proc, /sys, /root or "
    "/home (below /etc, read-only mounts that hold no host secrets are allowed)."
)
SOCKET_POLICY = "docker-container-no-docker-socket"
SOCKET_DESCRIPTION = (
    "Docker containers never mount the Docker socket, except images in `socketImages`, read-only."
)
VOLUMES: list[dict[str, Any]] = COMPLIANT_CONTAINER["volumes"]


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def volume(host_path: str, read_only: bool | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"hostPath": host_path, "containerPath": "/mnt/host"}
    if read_only is not None:
        entry["readOnly"] = read_only
    return entry


def bind(source: str, read_only: bool | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "bind", "source": source, "target": "/mnt/host"}
    if read_only is not None:
        entry["readOnly"] = read_only
    return entry


def with_volume(name: str, *volumes: Any, **changes: Any) -> Any:
    return container(name, volumes=[*VOLUMES, *volumes], **changes)


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_read_only_files_below_etc_and_service_directories_pass(pack: PolicyPackProcess) -> None:
    allowed = with_volume(
        "app",
        volume("/etc/localtime", read_only=True),
        volume("/etc/timezone", read_only=True),
        volume("/etc/ssl/certs", read_only=True),
        volume("/srv/app"),
        volume("/var/lib/app/data"),
        volume("/homeassistant"),
        volume("/proc2"),
        mounts=[bind("/etc/nginx/nginx.conf", read_only=True), bind("/opt/app")],
    )
    assert check(pack, allowed) == []


@pytest.mark.parametrize(
    ("mount", "message"),
    [
        pytest.param(volume("/"), "volumes[1] mounts the host's /.", id="root-filesystem"),
        pytest.param(
            volume("/", read_only=True), "volumes[1] mounts the host's /.", id="root-read-only"
        ),
        pytest.param(volume("/etc"), "volumes[1] mounts the host's /etc.", id="etc"),
        pytest.param(
            volume("/etc/", read_only=True),
            "volumes[1] mounts the host's /etc.",
            id="etc-read-only-trailing-slash",
        ),
        pytest.param(volume("/proc"), "volumes[1] mounts the host's /proc.", id="proc"),
        pytest.param(
            volume("/proc/1/ns", read_only=True),
            "volumes[1] mounts the host's /proc/1/ns, below /proc.",
            id="below-proc-read-only",
        ),
        pytest.param(
            volume("/sys/fs/cgroup", read_only=True),
            "volumes[1] mounts the host's /sys/fs/cgroup, below /sys.",
            id="below-sys",
        ),
        pytest.param(volume("/root"), "volumes[1] mounts the host's /root.", id="root-home"),
        pytest.param(
            volume("/root/.ssh", read_only=True),
            "volumes[1] mounts the host's /root/.ssh, below /root.",
            id="below-root-home",
        ),
        pytest.param(volume("/home"), "volumes[1] mounts the host's /home.", id="home"),
        pytest.param(
            volume("/home/alice/.ssh", read_only=True),
            "volumes[1] mounts the host's /home/alice/.ssh, below /home.",
            id="below-home",
        ),
        pytest.param(
            volume("/etc/../root//.ssh/"),
            "volumes[1] mounts the host's /root/.ssh, below /root.",
            id="path-normalised",
        ),
        pytest.param(
            volume("/etc/nginx"),
            "volumes[1] mounts the host's /etc/nginx read-write; below /etc only read-only "
            "mounts are allowed.",
            id="below-etc-read-write",
        ),
        pytest.param(
            volume("/etc/localtime", read_only=False),
            "volumes[1] mounts the host's /etc/localtime read-write; below /etc only read-only "
            "mounts are allowed.",
            id="below-etc-read-only-false",
        ),
        pytest.param(
            volume("/etc/shadow", read_only=True),
            "volumes[1] mounts the host's /etc/shadow, which exposes host secrets (/etc/shadow).",
            id="etc-shadow-read-only",
        ),
        pytest.param(
            volume("/etc/ssh/ssh_host_ed25519_key", read_only=True),
            "volumes[1] mounts the host's /etc/ssh/ssh_host_ed25519_key, which exposes host "
            "secrets (/etc/ssh).",
            id="below-etc-ssh",
        ),
        pytest.param(
            volume("/etc/ssl", read_only=True),
            "volumes[1] mounts the host's /etc/ssl, which exposes host secrets (/etc/ssl/private).",
            id="directory-holding-secrets",
        ),
        pytest.param(
            volume("/etc/pve/priv", read_only=True),
            "volumes[1] mounts the host's /etc/pve/priv, which exposes host secrets (/etc/pve).",
            id="proxmox-cluster-filesystem",
        ),
    ],
)
def test_each_sensitive_volume_is_one_violation(
    pack: PolicyPackProcess, mount: dict[str, Any], message: str
) -> None:
    assert diagnostics(check(pack, with_volume("app", mount))) == [violation(message)]


@pytest.mark.parametrize(
    ("mount", "message"),
    [
        pytest.param(bind("/"), "mounts[0] mounts the host's /.", id="root-filesystem"),
        pytest.param(
            bind("/sys", read_only=True), "mounts[0] mounts the host's /sys.", id="sys-read-only"
        ),
        pytest.param(
            bind("/etc/traefik"),
            "mounts[0] mounts the host's /etc/traefik read-write; below /etc only read-only "
            "mounts are allowed.",
            id="below-etc-read-write",
        ),
        pytest.param(
            bind("/etc/gshadow", read_only=True),
            "mounts[0] mounts the host's /etc/gshadow, which exposes host secrets (/etc/gshadow).",
            id="etc-gshadow",
        ),
    ],
)
def test_each_sensitive_bind_mount_is_one_violation(
    pack: PolicyPackProcess, mount: dict[str, Any], message: str
) -> None:
    assert diagnostics(check(pack, container("app", mounts=[mount]))) == [violation(message)]


@pytest.mark.parametrize(
    ("host_path", "message"),
    [
        pytest.param(
            "/var/run",
            "volumes[1] mounts the Docker socket's directory /var/run; image postgres:16.4 is "
            "not in `socketImages`.",
            id="var-run",
        ),
        pytest.param(
            "/run",
            "volumes[1] mounts the Docker socket's directory /run; image postgres:16.4 is not "
            "in `socketImages`.",
            id="run",
        ),
        pytest.param(
            "/run/docker.sock",
            "volumes[1] mounts the Docker socket /run/docker.sock; image postgres:16.4 is not "
            "in `socketImages`.",
            id="socket",
        ),
    ],
)
def test_docker_socket_paths_are_left_to_the_socket_policy(
    pack: PolicyPackProcess, host_path: str, message: str
) -> None:
    mutated = with_volume("app", volume(host_path))
    assert diagnostics(check(pack, mutated)) == [
        (SOCKET_POLICY, "mandatory", f"{SOCKET_DESCRIPTION}\n{message}")
    ]


def test_every_sensitive_mount_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = with_volume(
        "app",
        volume("/proc"),
        volume("/srv/app"),
        volume("/etc/hosts"),
        mounts=[bind("/etc/localtime", read_only=True), bind("/home/alice")],
    )
    assert diagnostics(check(pack, mutated)) == [
        violation("volumes[1] mounts the host's /proc."),
        violation(
            "volumes[3] mounts the host's /etc/hosts read-write; below /etc only read-only "
            "mounts are allowed."
        ),
        violation("mounts[1] mounts the host's /home/alice, below /home."),
    ]


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = with_volume("app", volume("/"), {"hostPath": "/etc/app", "readOnly": UNKNOWN})
    assert diagnostics(check(pack, mutated)) == [
        violation("volumes[1] mounts the host's /."),
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY)
            + "string value at .volumes.2.readOnly can't be known during preview",
        ),
    ]


FIXTURES = [
    container("pass_compliant"),
    with_volume("pass_localtime_ro", volume("/etc/localtime", read_only=True)),
    container("pass_bind_ssl_certs_ro", mounts=[bind("/etc/ssl/certs", read_only=True)]),
    with_volume("pass_service_dir", volume("/srv/app")),
    with_volume("pass_prefix_is_not_a_parent", volume("/homeassistant")),
    container(
        "pass_named_volume_mount",
        mounts=[{"type": "volume", "source": "etc", "target": "/etc/app"}],
    ),
    # `readOnly` is read only below /etc: unknown elsewhere defers nothing.
    with_volume("pass_unknown_read_only", {"hostPath": "/srv/app", "readOnly": UNKNOWN}),
    resource("docker:index/image:Image", "pass_not_a_container", {"volumes": [volume("/")]}),
    with_volume("fail_root", volume("/")),
    with_volume("fail_etc_ro", volume("/etc", read_only=True)),
    with_volume("fail_proc_sub", volume("/proc/sys", read_only=True)),
    container("fail_bind_home", mounts=[bind("/home/alice")]),
    with_volume("fail_etc_rw", volume("/etc/nginx")),
    with_volume("fail_etc_shadow_ro", volume("/etc/shadow", read_only=True)),
    with_volume("unknown_host_path", volume(UNKNOWN)),
    container("unknown_mounts", mounts=UNKNOWN),
    container("unknown_mount_source", mounts=[bind(UNKNOWN)]),
    with_volume("unknown_etc_read_only", {"hostPath": "/etc/app", "readOnly": UNKNOWN}),
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
