"""The readiness command run on a Docker host before anything is deployed to its engine.

It waits (bounded) for cloud-init to finish on a cloud server, then for `docker info` to answer,
and prints one line `docker-server-version=<version>`. The component derives the pulumi-docker
provider's `host` from that output (`provider_host_after_readiness`), so the provider, and every
container on it, depends on the command and nothing races the first boot.

`cloud-init status --wait` exits 0 when cloud-init is done and 2 when it finished with
recoverable errors (cloud-init >= 23.4; DESIGN.md: `cloud-init status --wait || test $? -eq 2`).
The time limit (`timeout` exits 124) fails the command with the long status. Any other exit is
an error cloud-init keeps for good: its status is read from the stages' `errors` in
`/run/cloud-init/status.json` / `result.json`, each a module's `('<module>', <exception>)`
(cloudinit/cmd/main.py `status_wrapper`; 22.4 and later), so every later `up` would stop here
with no hint. The command names the failed modules, prints the long status and how to recover:
`cloud-init clean --logs --reboot` after fixing the cause runs cloud-init again with the same
user-data (the same host key; `fs_setup` keeps a formatted volume). Proven against the real
cloud-init in tests/render/test_readiness.py.
The command is POSIX sh, run by the login shell of the SSH user (bash or dash).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .input_errors import SAFE_PATH, check, raise_if
from .ssh_config import docker_host

READY_PREFIX = "docker-server-version="
_VERSION_LINE = re.compile(rf"^{re.escape(READY_PREFIX)}([0-9A-Za-z][0-9A-Za-z.+~_-]*)$", re.M)


FAILED_PREFIX = "cloud-init failed in module(s): "
# Each error is "('<module>', <exception>)" (cloudinit/cmd/main.py status_wrapper); the long
# status lists them (under `detail:`, and under `errors:` from 23.4). cloud-init.log has the
# traceback after "Running module <name> (<module>) failed" (cloudinit/config/modules.py).
_CLOUD_INIT_FAILED = f"""\
    status=$(cloud-init status --long 2>&1) || true
    failed=$(printf '%s\\n' "$status" | grep -o "('[a-z0-9_]*', " | sed "s/^('//; s/', \\$//" \\
        | sort -u | tr '\\n' ' ')
    echo "{FAILED_PREFIX}${{failed:-(none named; see the status)}}(exit $rc)" >&2
    printf '%s\\n' "$status" >&2
    cat >&2 << 'RECOVER'
cloud-init keeps this error until it runs again, so every `pulumi up` stops here. On the host:
  sudo grep -n -A20 'Running module .* failed' /var/log/cloud-init.log    # why it failed
  sudo cat /var/log/cloud-init-output.log                                 # what it printed
Fix the cause, then run cloud-init again from the start, with the same user-data (the same
host key and users; a formatted data volume is kept):
  sudo cloud-init clean --logs --reboot
and run `pulumi up` again once the host is back.
RECOVER
"""


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
        limit = readiness.cloud_init_timeout_s
        cloud_init = f"""\
rc=0
timeout {limit} cloud-init status --wait > /dev/null || rc=$?
if [ "$rc" -eq 124 ]; then
    echo "cloud-init did not finish within {limit}s (exit $rc)" >&2
    cloud-init status --long >&2 || true
    exit 1
fi
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
{_CLOUD_INIT_FAILED}    exit 1
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
