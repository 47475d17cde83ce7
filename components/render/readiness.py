"""The readiness command run on a Docker host before anything is deployed to its engine.

It waits (bounded) for cloud-init to finish on a cloud server, then for `docker info` to answer,
and prints one line `docker-server-version=<version>`. The component derives the pulumi-docker
provider's `host` from that output (`provider_host_after_readiness`), so the provider, and every
container on it, depends on the command and nothing races the first boot.

`cloud-init status --wait` exits 0 when cloud-init is done and 2 when it finished with
recoverable errors (cloud-init >= 23.4; DESIGN.md: `cloud-init status --wait || test $? -eq 2`);
anything else, or the time limit (`timeout` exits 124), fails the command with the long status.
The command is POSIX sh, run by the login shell of the SSH user (bash or dash).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .input_errors import SAFE_PATH, check, raise_if
from .ssh_config import docker_host

READY_PREFIX = "docker-server-version="
_VERSION_LINE = re.compile(rf"^{re.escape(READY_PREFIX)}([0-9A-Za-z][0-9A-Za-z.+~_-]*)$", re.M)


@dataclass(frozen=True)
class Readiness:
    """How long to wait: cloud-init once (seconds), then `docker info` in attempts."""

    wait_for_cloud_init: bool
    cloud_init_timeout_s: int = 1200
    # A data volume's mount point: the host is not ready until it is mounted (Docker's data
    # would otherwise land on the root disk, or dockerd would not start at all).
    data_mount: str | None = None
    docker_attempts: int = 60
    docker_interval_s: int = 5


def readiness_command(readiness: Readiness) -> str:
    """The shell text; exits non-zero with a reason on stderr when the host is not ready."""
    problems: list[str] = []
    check(
        problems,
        1 <= readiness.cloud_init_timeout_s <= 7200,
        "cloud_init_timeout_s",
        readiness.cloud_init_timeout_s,
        "1-7200 seconds",
    )
    check(
        problems,
        1 <= readiness.docker_attempts <= 1000,
        "docker_attempts",
        readiness.docker_attempts,
        "1-1000",
    )
    check(
        problems,
        1 <= readiness.docker_interval_s <= 60,
        "docker_interval_s",
        readiness.docker_interval_s,
        "1-60 seconds",
    )
    if readiness.data_mount is not None:
        check(
            problems,
            bool(SAFE_PATH.match(readiness.data_mount)) and readiness.data_mount.startswith("/"),
            "data_mount",
            readiness.data_mount,
            "an absolute path of letters, digits, '.', '_', '-', '/'",
        )
    raise_if("readiness command", problems)
    cloud_init = ""
    if readiness.wait_for_cloud_init:
        cloud_init = f"""\
rc=0
timeout {readiness.cloud_init_timeout_s} cloud-init status --wait > /dev/null || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    echo "cloud-init did not finish within {readiness.cloud_init_timeout_s}s (exit $rc)" >&2
    cloud-init status --long >&2 || true
    exit 1
fi
"""
    if readiness.data_mount is not None:
        cloud_init += f"""\
if ! mountpoint -q {readiness.data_mount}; then
    echo "{readiness.data_mount} is not mounted: the data volume did not attach or format" >&2
    exit 1
fi
"""
    attempts = readiness.docker_attempts
    return f"""\
set -eu
{cloud_init}attempt=1
while :; do
    version=$(docker info --format '{{{{.ServerVersion}}}}' 2> /dev/null) || version=""
    if [ -n "$version" ]; then
        echo "{READY_PREFIX}$version"
        exit 0
    fi
    if [ "$attempt" -ge {attempts} ]; then
        echo "docker info did not answer after {attempts} attempts" >&2
        # docker 20.10 prints the connection error on stdout: all of it goes to stderr.
        docker info >&2 || true
        exit 1
    fi
    attempt=$((attempt + 1))
    sleep {readiness.docker_interval_s}
done
"""


def docker_version_from_readiness(stdout: str) -> str:
    """The Docker server version the readiness command printed; an error if it printed none."""
    match = _VERSION_LINE.search(stdout)
    if match is None:
        raise ValueError(
            f"readiness output has no '{READY_PREFIX}<version>' line: {stdout.strip()[:200]!r}"
        )
    return match.group(1)


def provider_host_after_readiness(stdout: str, alias: str) -> str:
    """pulumi-docker `host` for `alias`, computed from the readiness output (so it waits on it)."""
    docker_version_from_readiness(stdout)
    return docker_host(alias)
