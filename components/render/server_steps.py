"""Scripts the program runs on a Docker server over SSH after its first boot.

cloud-init runs once, and the server ignores its user-data and SSH keys after creation, so
what must follow the config on day 2 is done by these steps:

- ``authorized_keys_script``: the SSH user's own ``~/.ssh/authorized_keys``, replaced whole by
  ``platform:adminSshKeys`` on every change (an added key logs in, a removed one is refused),
  as ``proxmox_steps.container_keys_script`` does for guests. Run as the admin user itself.
- ``data_volume_script``: a data volume the server did not have at its first boot (added on
  day 2, or a rebuilt server booting with the user-data of its first creation) is formatted,
  mounted and given Docker's data root, exactly as cloud-init would have done it, but only
  while Docker holds no container and no volume; moving live data is left to the operator,
  with the commands. Run as root (``as_root``).

Both are idempotent, POSIX sh, and proven with real tools in tests/render/test_server_steps.py.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from .cloud_init import (
    DATA_MOUNT_OPTIONS,
    DOCKER_DAEMON_JSON,
    DOCKER_MOUNT_DROPIN,
    DataVolume,
    docker_data_root,
    docker_mount_dropin,
)
from .input_errors import PUBLIC_KEY, SAFE_PATH, SAFE_TOKEN, check, raise_if

_KEYS_END = "PULUMI_SSH_KEYS"


def authorized_keys_script(keys: Sequence[str]) -> str:
    """Replace the SSH user's ``~/.ssh/authorized_keys`` with ``keys`` (atomically: a new file
    renamed over the old one, so a broken connection never leaves half a file)."""
    problems: list[str] = []
    check(problems, len(keys) > 0, "keys", keys, "at least one SSH public key")
    for index, key in enumerate(keys):
        check(
            problems,
            bool(PUBLIC_KEY.match(key.strip())) and "\n" not in key.strip(),
            f"keys[{index}]",
            key,
            "an OpenSSH public key line ('ssh-ed25519 AAAA... comment')",
        )
    raise_if("authorized_keys script", problems)
    body = "".join(f"{key.strip()}\n" for key in keys)
    return f"""\
# The SSH user's authorized_keys, managed by Pulumi: replaced whole, so removed keys go.
set -eu
umask 077
mkdir -p "$HOME/.ssh"
cat > "$HOME/.ssh/authorized_keys.pulumi" <<'{_KEYS_END}'
{body}{_KEYS_END}
mv -f "$HOME/.ssh/authorized_keys.pulumi" "$HOME/.ssh/authorized_keys"
echo "$(id -un): {len(keys)} authorized key(s)"
"""


def as_root(script: str) -> str:
    """``script`` run by ``sudo`` as root (the admin user's sudo rule, cloud_init.ADMIN_SUDO);
    ``-n``: fail at once, never wait for a password prompt. The script is an argument, not
    stdin, so a command in it that reads stdin cannot eat the rest of the script."""
    return f"sudo -n sh -c {shlex.quote(script)}"


def data_volume_script(
    volume: DataVolume, *, cloud_init_wait_s: int = 1200, device_wait_s: int = 300
) -> str:
    """Format (only a blank device), mount and give Docker's data root to ``volume``."""
    problems: list[str] = []
    check(
        problems,
        bool(SAFE_PATH.match(volume.device)) and volume.device.startswith("/dev/"),
        "device",
        volume.device,
        "a device path under /dev/",
    )
    check(
        problems,
        bool(SAFE_PATH.match(volume.mount_point)) and volume.mount_point != "/",
        "mount_point",
        volume.mount_point,
        "an absolute path of a dedicated mount point",
    )
    check(problems, bool(SAFE_TOKEN.match(volume.label)), "label", volume.label, "a label")
    check(
        problems, 0 <= cloud_init_wait_s <= 7200, "cloud_init_wait_s", cloud_init_wait_s, "0-7200"
    )
    check(problems, 1 <= device_wait_s <= 3600, "device_wait_s", device_wait_s, "1-3600")
    raise_if("data volume script", problems)
    data_root = docker_data_root(volume)
    assert data_root is not None
    q = shlex.quote
    fstab_line = (
        f"{volume.device} {volume.mount_point} {volume.filesystem} {DATA_MOUNT_OPTIONS} 0 2"
    )
    dropin = docker_mount_dropin(volume.mount_point)
    return f"""\
# The server's data volume, managed by Pulumi: formatted only when blank, mounted, and Docker's
# data root moved onto it only while Docker holds nothing. Idempotent.
set -eu
device={q(volume.device)}
mount_point={q(volume.mount_point)}
data_root={q(data_root)}
# A new server sets the volume up in cloud-init: wait until that is over, whatever its result
# (the readiness judges it).
if command -v cloud-init > /dev/null 2>&1; then
    timeout {cloud_init_wait_s} cloud-init status --wait > /dev/null 2>&1 || true
fi
waited=0
until [ -b "$device" ]; do
    if [ "$waited" -ge {device_wait_s} ]; then
        echo "data volume: $device did not appear in {device_wait_s}s: is the volume attached?" >&2
        exit 1
    fi
    sleep 2
    waited=$((waited + 2))
done
fstype=$(blkid -p -o value -s TYPE "$device" || true)
label=$(blkid -p -o value -s LABEL "$device" || true)
if [ -z "$fstype" ]; then
    mkfs.{volume.filesystem} -q -L {q(volume.label)} "$device"
    echo "data volume: $device was blank, formatted {volume.filesystem} labelled {volume.label}"
elif [ "$fstype" != {q(volume.filesystem)} ] || [ "$label" != {q(volume.label)} ]; then
    echo "data volume: $device holds a $fstype filesystem labelled '$label', not the" \\
        "program's ({volume.filesystem}, {volume.label}): left untouched; check what it is" >&2
    exit 1
fi
listed=$(awk -v m="$mount_point" '$1 !~ /^#/ && $2 == m {{ print $1 }}' /etc/fstab)
if [ -z "$listed" ]; then
    echo {q(fstab_line)} >> /etc/fstab
elif [ "$listed" != "$device" ]; then
    echo "data volume: /etc/fstab mounts $listed at $mount_point, not $device" >&2
    exit 1
fi
if ! mountpoint -q "$mount_point"; then
    mkdir -p "$mount_point"
    mount "$mount_point"
fi
current=$(docker info --format '{{{{.DockerRootDir}}}}' 2> /dev/null) || current=""
if [ "$current" = "$data_root" ]; then
    echo "data volume: $device mounted at $mount_point, Docker's data root on it"
    exit 0
fi
if [ -z "$current" ]; then
    echo "data volume: docker does not answer, so whether it holds data is unknown;" \\
        "its data root was not moved" >&2
    exit 1
fi
held=$(docker ps -aq | wc -l)
volumes=$(docker volume ls -q | wc -l)
if [ "$held" -ne 0 ] || [ "$volumes" -ne 0 ]; then
    echo "data volume: $device is mounted at $mount_point, but Docker already holds" \\
        "$held container(s) and $volumes volume(s) in $current; the program never moves" \\
        "live data. Move it as root: systemctl stop docker docker.socket;" \\
        "cp -a $current/. $data_root/; set \\"data-root\\": \\"$data_root\\" in" \\
        "{DOCKER_DAEMON_JSON}; systemctl start docker; then run pulumi up again" >&2
    exit 1
fi
mkdir -p "$data_root" "$(dirname {DOCKER_DAEMON_JSON})" "$(dirname {DOCKER_MOUNT_DROPIN})"
# Keep any other setting of daemon.json; python3 is there wherever cloud-init is.
python3 - {DOCKER_DAEMON_JSON} "$data_root" <<'PULUMI_DAEMON_JSON'
import json, os, sys
path, root = sys.argv[1], sys.argv[2]
config = {{}}
if os.path.exists(path):
    with open(path) as f:
        config = json.load(f)
config["data-root"] = root
with open(path + ".pulumi", "w") as f:
    json.dump(config, f, indent=2)
    f.write("\\n")
os.replace(path + ".pulumi", path)
PULUMI_DAEMON_JSON
printf %s {q(dropin)} > {DOCKER_MOUNT_DROPIN}
echo "data volume: Docker held nothing; its data root moves to $data_root"
systemctl daemon-reload
systemctl restart docker
"""
