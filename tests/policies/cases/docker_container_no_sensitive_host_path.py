"""docker-container-no-sensitive-host-path: system paths, read-only rules below /etc, /usr
and /lib, and volumes bound to them."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import DOCKER_VOLUME, container, resource
from ..harness import RuleCases, fails, passes, policy_of, unknown

POLICY = policy_of(__name__)


def mounts(name: str, path: Any, **extra: Any) -> Any:
    return container(name, volumes=[{"hostPath": path, "containerPath": "/h", **extra}])


def bind(name: str, source: str, **extra: Any) -> Any:
    return container(name, mounts=[{"type": "bind", "source": source, "target": "/h", **extra}])


def volume(name: str, device: str, o: str = "bind") -> Any:
    return resource(DOCKER_VOLUME, name, {"name": name, "driverOpts": {"o": o, "device": device}})


CASES = RuleCases(
    cases=[
        passes(container("pass_compliant")),
        passes(mounts("pass_srv", "/srv/app")),
        passes(mounts("pass_localtime_read_only", "/etc/localtime", readOnly=True)),
        passes(mounts("pass_zoneinfo_read_only", "/usr/share/zoneinfo", readOnly=True)),
        passes(bind("pass_lib_read_only", "/lib/x86_64-linux-gnu/libc.so.6", readOnly=True)),
        passes(mounts("pass_var_lib_app", "/var/lib/app")),
        passes(mounts("pass_socket_left_to_socket_rule", "/var/run/docker.sock")),
        passes(mounts("pass_run_left_to_socket_rule", "/run")),
        passes(volume("pass_volume_srv", "/srv/data")),
        passes(volume("pass_volume_not_a_bind", "/etc", o="size=100m")),
        fails(mounts("fail_root", "/"), "volumes[0] mounts the host's /."),
        fails(mounts("fail_var", "/var/"), "volumes[0] mounts the host's /var."),
        fails(mounts("fail_etc", "/etc", readOnly=True), "volumes[0] mounts the host's /etc."),
        fails(mounts("fail_usr", "/usr"), "volumes[0] mounts the host's /usr."),
        fails(mounts("fail_lib", "/lib"), "volumes[0] mounts the host's /lib."),
        fails(mounts("fail_dev", "/dev"), "volumes[0] mounts the host's /dev."),
        fails(
            mounts("fail_dev_disk", "/dev/sda", readOnly=True),
            "volumes[0] mounts the host's /dev/sda, below /dev.",
        ),
        fails(mounts("fail_boot", "/boot"), "volumes[0] mounts the host's /boot."),
        fails(
            mounts("fail_modules", "/lib/modules/6.1.0", readOnly=True),
            "volumes[0] mounts the host's /lib/modules/6.1.0, below /lib/modules.",
        ),
        fails(
            bind("fail_docker_data", "/var/lib/docker/volumes"),
            "mounts[0] mounts the host's /var/lib/docker/volumes, below /var/lib/docker.",
        ),
        fails(mounts("fail_proc", "/proc"), "volumes[0] mounts the host's /proc."),
        fails(
            mounts("fail_below_sys", "/sys/fs/cgroup", readOnly=True),
            "volumes[0] mounts the host's /sys/fs/cgroup, below /sys.",
        ),
        fails(
            mounts("fail_home_normalised", "/home/../home/alice/"),
            "volumes[0] mounts the host's /home/alice, below /home.",
        ),
        fails(mounts("fail_root_home", "/root"), "volumes[0] mounts the host's /root."),
        fails(
            mounts("fail_etc_read_write", "/etc/nginx"),
            "volumes[0] mounts the host's /etc/nginx read-write; below /etc only read-only "
            "mounts are allowed.",
        ),
        fails(
            bind("fail_usr_read_write", "/usr/local/bin"),
            "mounts[0] mounts the host's /usr/local/bin read-write; below /usr only read-only "
            "mounts are allowed.",
        ),
        fails(
            mounts("fail_shadow_read_only", "/etc/shadow", readOnly=True),
            "volumes[0] mounts the host's /etc/shadow, which exposes host secrets (/etc/shadow).",
        ),
        fails(
            mounts("fail_etc_ssl_read_only", "/etc/ssl", readOnly=True),
            "volumes[0] mounts the host's /etc/ssl, which exposes host secrets (/etc/ssl/private).",
        ),
        fails(
            mounts("fail_pve", "/etc/pve/priv", readOnly=True),
            "volumes[0] mounts the host's /etc/pve/priv, which exposes host secrets (/etc/pve).",
        ),
        fails(
            volume("fail_volume_etc", "/etc"),
            "driverOpts.device mounts the host's /etc.",
        ),
        fails(
            volume("fail_volume_home", "/home/alice", o="rbind"),
            "driverOpts.device mounts the host's /home/alice, below /home.",
        ),
        fails(
            container(
                "fail_each_mount_once",
                volumes=[
                    {"hostPath": "/", "containerPath": "/a"},
                    {"hostPath": "/srv", "containerPath": "/b"},
                ],
                mounts=[{"type": "bind", "source": "/proc", "target": "/c"}],
            ),
            "volumes[0] mounts the host's /.",
            "mounts[0] mounts the host's /proc.",
        ),
        unknown(mounts("unknown_host_path", UNKNOWN), ".volumes.0.hostPath"),
        unknown(
            container(
                "unknown_after_violation",
                volumes=[
                    {"hostPath": "/proc", "containerPath": "/a"},
                    {"hostPath": UNKNOWN, "containerPath": "/b"},
                ],
            ),
            ".volumes.1.hostPath",
            "volumes[0] mounts the host's /proc.",
        ),
        unknown(
            mounts("unknown_read_only_below_etc", "/etc/nginx", readOnly=UNKNOWN),
            ".volumes.0.readOnly",
        ),
    ],
)
