"""Install Docker inside an unprivileged Proxmox LXC guest, with a container runtime known to work.

Guests have no cloud-init: the script runs inside the guest through the Proxmox host
(`pct exec <vmid> -- /bin/bash -s`, the script on stdin), as root, and is idempotent.

Why the runtime is pinned (sources in docs/renders.md):
- runc 1.2.8, 1.3.3 and 1.4.0-rc.3 (2025-11-05, opencontainers/runc CHANGELOG.md) fix
  CVE-2025-31133, CVE-2025-52565 and CVE-2025-52881. The CVE-2025-52881 fix makes runc write
  sysctls through a detached procfs mount, which the LXC AppArmor profile sees as `/sys/...` and
  denies: every container start fails with `open sysctl net.ipv4.ip_unprivileged_port_start
  file: reopen fd 8: permission denied` (opencontainers/runc#4968, #4972; moby/moby#51405;
  containerd/containerd#12484 for Docker's containerd.io 1.7.28-2). Later runc releases
  (1.2.9, 1.3.4, 1.4.0) do not change this: runc#4968 says it cannot be worked around in runc,
  and the fix is on the host side (Proxmox `lxc-pve` 6.0.5-2 or newer).
- Debian's own runc stays on the 1.1 line in bookworm (1.1.5+ds1-1+deb12u1) and trixie; a
  newer runc reaches Debian only through a deliberate upload (debian-bugs-rc, Feb 2026: bumping
  trixie to 1.2.8/1.3.3 was discussed, sid carries 1.3.3). The script therefore pins runc to
  the 1.1 line (apt preferences, priority 1001) and holds the installed runc, so neither a new
  upstream line nor a backport of the procfs change into 1.1 arrives through unattended
  upgrades; docker.io and containerd keep their security updates (a docker.io that needs a
  newer runc is simply kept back). It refuses to finish with any other runc, and proves the
  runtime by starting a container that has its own network namespace (the path that fails).
- Trade-off: runc 1.1 predates those CVE fixes. The guest is itself an unprivileged container,
  which bounds what a runc escape reaches; lift the pin once every Proxmox host runs lxc-pve
  >= 6.0.5-2 (then set `runc_pin` to the fixed line).
"""

from __future__ import annotations

import base64
import posixpath
import re
from dataclasses import dataclass

from .input_errors import check, raise_if
from .metadata_block import SCRIPT_PATH, metadata_block_files

PIN_FILE = "/etc/apt/preferences.d/selfhosted-container-runtime"
RUNTIME_CHECK_IMAGE = "selfhosted/runtime-check:1"
_RELEASE = re.compile(r"^[a-z]+:[a-z]+$")
_PIN = re.compile(r"^[0-9]+(\.[0-9]+)*\.\*$")


@dataclass(frozen=True)
class GuestDockerInstall:
    """Choices for Docker inside an LXC guest; the defaults are the known-good runtime."""

    # apt `Pin: version` glob for runc: the line that works under the LXC AppArmor profile.
    runc_pin: str = "1.1.*"
    # `ID:VERSION_CODENAME` from the guest's /etc/os-release.
    supported_releases: tuple[str, ...] = ("debian:bookworm", "debian:trixie")


# Builds a one-file image from Debian's busybox-static (no registry is needed) and starts it
# with its own network namespace (`--network none` is enough: moby sets the sysctl for every
# non-host network mode, seen in the OCI spec it writes): Docker then asks runc to set
# net.ipv4.ip_unprivileged_port_start, exactly the write the LXC AppArmor profile blocks for
# runc >= 1.2.8/1.3.3. Usable on its own against any engine (DOCKER_HOST is honoured).
RUNTIME_CHECK_SCRIPT = f"""\
#!/bin/sh
# Prove that this engine can start a container with its own network namespace.
set -eu
image={RUNTIME_CHECK_IMAGE}
if ! docker image inspect "$image" > /dev/null 2>&1; then
    busybox=$(command -v busybox || true)
    if [ -z "$busybox" ]; then
        echo "runtime check needs Debian's busybox-static (apt-get install busybox-static)" >&2
        exit 1
    fi
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    chmod 0755 "$rootfs"
    mkdir -p "$rootfs/bin"
    cp "$busybox" "$rootfs/bin/busybox"
    tar -C "$rootfs" -c . | docker import - "$image" > /dev/null
fi
if ! out=$(docker run --rm --network none --user 65534:65534 "$image" \\
        /bin/busybox cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>&1); then
    echo "the container runtime cannot start a container here:" >&2
    echo "$out" >&2
    exit 1
fi
echo "runtime check passed (ip_unprivileged_port_start=$out)"
"""


def _check(install: GuestDockerInstall) -> None:
    problems: list[str] = []
    check(
        problems,
        bool(_PIN.match(install.runc_pin)),
        "runc_pin",
        install.runc_pin,
        "an apt version glob such as 1.1.*",
    )
    check(
        problems,
        len(install.supported_releases) > 0,
        "supported_releases",
        (),
        "at least one ID:codename",
    )
    for i, release in enumerate(install.supported_releases):
        check(
            problems,
            bool(_RELEASE.match(release)),
            f"supported_releases[{i}]",
            release,
            "ID:VERSION_CODENAME such as debian:bookworm",
        )
    raise_if("guest Docker install", problems)


def apt_pin(install: GuestDockerInstall) -> str:
    """The apt preferences stanza that keeps runc on the known-good line."""
    return f"""\
Explanation: runc >= 1.2.8/1.3.3 (CVE-2025-52881 fix) fails under the Proxmox LXC AppArmor
Explanation: profile (opencontainers/runc#4968); keep the known-good line. See docs/renders.md.
Package: runc
Pin: version {install.runc_pin}
Pin-Priority: 1001
"""


def release_gate(install: GuestDockerInstall) -> str:
    """Shell text: stop unless /etc/os-release names a supported release."""
    releases = "|".join(install.supported_releases)
    return f"""\
# shellcheck disable=SC1091
. /etc/os-release
case "${{ID}}:${{VERSION_CODENAME:-}}" in
    {releases}) ;;
    *)
        echo "unsupported guest ${{ID}}:${{VERSION_CODENAME:-}}; supported: {releases}" >&2
        exit 1
        ;;
esac
"""


def runc_gate(install: GuestDockerInstall) -> str:
    """Shell text: stop unless the installed runc is on the pinned line; sets runc_version."""
    pin = install.runc_pin
    return f"""\
runc_version=$(dpkg-query -W -f='${{Version}}' runc)
case "$runc_version" in
    {pin}) ;;
    *)
        echo "runc $runc_version is installed; only {pin} is known to work in this LXC" >&2
        exit 1
        ;;
esac
"""


def guest_docker_install_script(install: GuestDockerInstall | None = None) -> str:
    """The bash script run as root inside the guest; prints the runtime versions at the end."""
    install = install or GuestDockerInstall()
    _check(install)
    return f"""\
#!/bin/bash
# Install Docker from Debian in this unprivileged LXC guest, container runtime pinned.
# Managed by selfhosted-platform; idempotent. Why the pin: docs/renders.md (runc >= 1.2.8/1.3.3
# cannot write sysctls under the LXC AppArmor profile of lxc-pve < 6.0.5-2).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

{release_gate(install)}
cat > {PIN_FILE} <<'PIN'
{apt_pin(install)}PIN

{_metadata_block_files()}
apt-get update -q
apt-mark unhold runc > /dev/null 2>&1 || true
apt-get install -y -q --no-install-recommends ca-certificates busybox-static docker.io
# trixie splits the client into docker-cli; bookworm's docker.io carries it.
command -v docker > /dev/null || apt-get install -y -q --no-install-recommends docker-cli

{runc_gate(install)}apt-mark hold runc > /dev/null

systemctl daemon-reload
systemctl enable --now docker.service
# The drop-in runs it before every start of dockerd; once more for a dockerd already running.
{SCRIPT_PATH}
for _ in $(seq 1 30); do
    docker info > /dev/null 2>&1 && break
    sleep 1
done

{_embedded_runtime_check()}
echo "docker.io $(dpkg-query -W -f='${{Version}}' docker.io)," \\
    "containerd $(dpkg-query -W -f='${{Version}}' containerd), runc $runc_version (held)"
"""


def _metadata_block_files() -> str:
    # The same block as a cloud server's (render/metadata_block.py): a guest has no metadata
    # service of its own, but its host may (a Proxmox host on a cloud VM); written before
    # docker.io is installed, so dockerd never starts without it.
    lines = []
    for f in metadata_block_files():
        lines += [
            f"mkdir -p {posixpath.dirname(f.path)}",
            f"cat > {f.path} << 'FILE'",
            f.content + "FILE",
            f"chmod {f.permissions} {f.path}",
        ]
    return "\n".join(lines) + "\n"


def _embedded_runtime_check() -> str:
    # The same check as RUNTIME_CHECK_SCRIPT, run in a subshell so its trap stays local.
    body = RUNTIME_CHECK_SCRIPT.split("\n", 2)[2]
    return "(\n" + body.rstrip("\n") + "\n)"


def pct_exec_command(vmid: int, script: str) -> str:
    """Run `script` as root inside guest `vmid`, from the Proxmox host.

    The script travels base64-encoded on the command line and reaches the guest's bash on
    stdin, so no character of it is ever interpreted by the host's shell.
    """
    raise_if(
        "pct exec",
        [] if 100 <= vmid <= 999_999_999 else [f"vmid={vmid!r}: a Proxmox VMID (100-999999999)"],
    )
    payload = base64.b64encode(script.encode()).decode()
    return f"set -eu\nprintf '%s' '{payload}' | base64 -d | pct exec {vmid} -- /bin/bash -s\n"
