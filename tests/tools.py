"""The one locator for the real tools the tests run (nft, shellcheck, sshd, dockerd, ...).

A missing tool FAILS the test, naming the tool and the Debian package that brings it; nothing
skips: CI installs every tool (``bash scripts/test.sh`` does too).
"""

from __future__ import annotations

import shutil

import pytest

# Tool -> the Debian package that installs it (scripts/test.sh's DEBIAN_PACKAGES).
PACKAGES = {
    "alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
    "apt-cache": "apt",
    "blkid": "util-linux",
    "busybox": "busybox-static",
    "cloud-init": "cloud-init",
    "docker": "docker.io",
    "dockerd": "docker.io",
    "ip": "iproute2",
    "losetup": "mount",
    "lvm": "lvm2",
    "mkfs.ext4": "e2fsprogs",
    "mosquitto": "mosquitto",
    "mosquitto_pub": "mosquitto-clients",
    "mosquitto_sub": "mosquitto-clients",
    "nft": "nftables",
    "setpriv": "util-linux",
    "pgbouncer": "pgbouncer",
    "psql": "postgresql-client",
    "pg_isready": "postgresql-client",
    "prometheus": "prometheus",
    "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "prometheus-postgres-exporter": "prometheus-postgres-exporter",
    "promtool": "prometheus",
    "shellcheck": "shellcheck",
    "ssh": "openssh-client",
    "stdbuf": "coreutils",
    "ssh-keygen": "openssh-client",
    "ss": "iproute2",
    "sshd": "openssh-server",
    "sysctl": "procps",
    "systemd-analyze": "systemd",
    "tcpdump": "tcpdump",
    "unshare": "util-linux",
    # The backup round trips (tests/backup).
    "restic": "restic",
    "rclone": "rclone",
    "redis-server": "redis-server",
    "influxd": "influxdb",
    "mariadbd": "mariadb-server",
}
INSTALL = "bash scripts/test.sh installs every tool these tests use"


def find(name: str) -> str | None:
    """Absolute path of a tool on PATH or in the sbin directories (root's tools), or None."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def require(*names: str) -> list[str]:
    """Absolute paths of the tools; fails (never skips) naming each missing one and its package."""
    paths = {name: find(name) for name in names}
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        listed = ", ".join(
            f"{name} (Debian package {PACKAGES.get(name, name)})" for name in missing
        )
        pytest.fail(f"missing tools: {listed}; {INSTALL}", pytrace=False)
    return [path for path in paths.values() if path is not None]


def tool(name: str) -> str:
    """Absolute path of one tool; fails (never skips) naming its Debian package."""
    return require(name)[0]
