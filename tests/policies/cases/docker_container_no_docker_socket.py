"""docker-container-no-docker-socket: daemon sockets anywhere below /run, their directories,
and volumes bound to them."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import DOCKER_VOLUME, container, resource
from ..harness import (
    RuleCases,
    except_label,
    excepted,
    fails,
    label_source,
    passes,
    policy_of,
    unknown,
)

POLICY = policy_of(__name__)


def mounts(name: str, path: str, **extra: Any) -> Any:
    return container(name, volumes=[{"hostPath": path, "containerPath": "/s", **extra}])


def bind(name: str, source: Any) -> Any:
    return container(name, mounts=[{"type": "bind", "source": source, "target": "/s"}])


def volume(name: str, **opts: Any) -> Any:
    return resource(DOCKER_VOLUME, name, {"name": name, "driverOpts": opts})


CASES = RuleCases(
    cases=[
        passes(container("pass_compliant")),
        passes(mounts("pass_data_dir", "/srv/app")),
        passes(mounts("pass_other_run_file", "/run/systemd/journal/dev-log")),
        passes(mounts("pass_sock_elsewhere", "/srv/app/app.sock")),
        passes(volume("pass_named_volume")),
        passes(volume("pass_bind_volume_data", o="bind", device="/srv/data", type="none")),
        passes(
            container(
                "pass_volume_type_mount",
                mounts=[{"type": "volume", "source": "/run/docker.sock", "target": "/s"}],
            )
        ),
        fails(
            mounts("fail_docker_sock", "/var/run/docker.sock"),
            "volumes[0] mounts the daemon socket /var/run/docker.sock.",
        ),
        fails(
            mounts("fail_docker_sock_read_only", "/run/docker.sock", readOnly=True),
            "volumes[0] mounts the daemon socket /run/docker.sock.",
        ),
        fails(
            mounts("fail_containerd", "/run/containerd/containerd.sock"),
            "volumes[0] mounts the daemon socket /run/containerd/containerd.sock.",
        ),
        fails(
            mounts("fail_containerd_dir", "/run/containerd/"),
            "volumes[0] mounts the directory /run/containerd, which holds the daemon socket "
            "/run/containerd/containerd.sock.",
        ),
        fails(
            mounts("fail_rootless", "/run/user/1000/docker.sock"),
            "volumes[0] mounts the daemon socket /run/user/1000/docker.sock.",
        ),
        fails(
            mounts("fail_rootless_dir", "/run/user/1000"),
            "volumes[0] mounts the directory /run/user/1000, which holds the daemon socket "
            "/run/user/1000/docker.sock.",
        ),
        fails(
            mounts("fail_any_sock", "/var/run/podman/podman.sock"),
            "volumes[0] mounts the daemon socket /var/run/podman/podman.sock.",
        ),
        fails(
            mounts("fail_run", "/run"),
            "volumes[0] mounts the directory /run, which holds the daemon socket /run/docker.sock.",
        ),
        fails(
            mounts("fail_var_run_normalised", "//var//run/"),
            "volumes[0] mounts the directory /var/run, which holds the daemon socket "
            "/run/docker.sock.",
        ),
        fails(
            bind("fail_bind_mount", "/var/run/docker.sock"),
            "mounts[0] mounts the daemon socket /var/run/docker.sock.",
        ),
        fails(
            volume("fail_bind_volume", type="none", o="bind", device="/var/run/docker.sock"),
            "driverOpts.device mounts the daemon socket /var/run/docker.sock.",
        ),
        fails(
            volume("fail_rbind_volume_dir", o="rbind,ro", device="/run/containerd"),
            "driverOpts.device mounts the directory /run/containerd, which holds the daemon "
            "socket /run/containerd/containerd.sock.",
        ),
        excepted(
            container(
                "except_socket_proxy",
                volumes=[{"hostPath": "/var/run/docker.sock", "containerPath": "/s"}],
                labels=[except_label(POLICY, "socket proxy: only GET /containers")],
            ),
            "socket proxy: only GET /containers",
            label_source(POLICY),
            "volumes[0] mounts the daemon socket /var/run/docker.sock.",
        ),
        fails(
            container(
                "fail_exception_without_reason",
                volumes=[{"hostPath": "/var/run/docker.sock", "containerPath": "/s"}],
                labels=[except_label(POLICY, " ")],
            ),
            "volumes[0] mounts the daemon socket /var/run/docker.sock. The exception (label "
            f"selfhosted.policy.except.{POLICY}) gives no reason, so it does not apply.",
        ),
        unknown(bind("unknown_source", UNKNOWN), ".mounts.0.source"),
        unknown(volume("unknown_device", o="bind", device=UNKNOWN), ".driverOpts.device"),
    ],
)
