"""Scripts the program runs on the Proxmox host as root over SSH, for what the API token cannot do.

Each is idempotent (a second run changes nothing) and refuses, with a message, what would lose
data. Why each exists, with the Proxmox and provider sources, is in docs/proxmox.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

GIB = 1024**3


def storage_content_script(needs: Mapping[str, Sequence[str]]) -> str:
    """Allow each storage the content types the stack needs, keeping every type it has.

    ``pvesm set --content`` replaces the list (pve-storage src/PVE/API2/Storage/Config.pm,
    ``update``), so the current list is read first and only missing types are appended. A
    fresh install's ``local`` has ``iso,vztmpl,backup`` and no ``rootdir``; containers placed
    there fail to create until it is added (pve-container src/PVE/API2/LXC.pm: "storage ...
    does not support container directories").
    """
    calls = "".join(
        f"ensure_content {storage} {' '.join(types)}\n" for storage, types in needs.items()
    )
    return f"""\
#!/bin/sh
# Give each storage the content types this stack needs, keeping the ones it has. Idempotent.
set -eu
ensure_content() {{
    storage=$1
    shift
    current=$(pvesh get "/storage/$storage" --output-format json |
        perl -MJSON::PP -0777 -ne 'my $c = decode_json($_)->{{content}} // ""; print $c')
    merged=$current
    if [ "$merged" = none ]; then
        merged=
    fi
    for type in "$@"; do
        case ",$merged," in
        *",$type,"*) ;;
        *) merged=${{merged:+$merged,}}$type ;;
        esac
    done
    if [ "$merged" = "$current" ]; then
        echo "storage $storage already allows $*"
    else
        pvesm set "$storage" --content "$merged"
        echo "storage $storage: content $current -> $merged"
    fi
}}
{calls}"""


def container_keys_script(vm_id: int, keys: Sequence[str]) -> str:
    """Write root's ``authorized_keys`` inside container ``vm_id`` (replaced whole).

    The provider replaces a container when ``initialization.user_account.keys`` changes (bpg
    proxmoxtf/resource/container/container.go, ForceNew), so keys are set here after creation
    and that field is ignored on the container. ``pct exec`` runs inside the container's user
    namespace, so the file belongs to the guest's root in an unprivileged container.
    """
    for key in keys:
        if "\n" in key or "\r" in key or not key.strip():
            raise ValueError(f"an SSH public key must be one non-empty line: {key!r}")
    body = "".join(f"{key.strip()}\n" for key in keys)
    return f"""\
#!/bin/sh
# root's authorized_keys in CT {vm_id}, managed by Pulumi: replaced whole, so removed keys go.
set -eu
pct exec {vm_id} -- sh -c 'umask 077 && mkdir -p /root/.ssh && \
cat > /root/.ssh/authorized_keys.pulumi && \
mv /root/.ssh/authorized_keys.pulumi /root/.ssh/authorized_keys' <<'PULUMI_SSH_KEYS'
{body}PULUMI_SSH_KEYS
echo "CT {vm_id}: {len(keys)} authorized key(s) for root"
"""


def container_disk_script(vm_id: int, size_gb: int) -> str:
    """Grow container ``vm_id``'s root disk to ``size_gb`` GiB; refuse to shrink it.

    ``pct resize`` is the API's ``resize_vm`` (pve-container src/PVE/API2/LXC.pm), which does
    not check the protection flag; the provider's update also PUTs ``rootfs`` to the config,
    where ``update_pct_config`` (src/PVE/LXC/Config.pm) calls ``check_protection`` and fails
    with "protection mode enabled". ``resize_vm`` dies on an equal size, so it is compared
    first.
    """
    want = size_gb * GIB
    return f"""\
#!/bin/sh
# Root disk of CT {vm_id}: {size_gb}G. Grows with `pct resize` (allowed while protected).
set -eu
have=$(pct config {vm_id} | perl -ne '
    if (/^rootfs:.*\\bsize=(\\d+(?:\\.\\d+)?)([KMGT]?)/) {{
        my %unit = ("" => 1, K => 1024, M => 1024**2, G => 1024**3, T => 1024**4);
        printf "%.0f\\n", $1 * $unit{{$2}};
    }}')
if [ -z "$have" ]; then
    echo "CT {vm_id}: no rootfs size in its config; check with 'pct config {vm_id}'" >&2
    exit 1
fi
if [ "$have" -eq {want} ]; then
    echo "CT {vm_id}: root disk already {size_gb}G"
elif [ "$have" -lt {want} ]; then
    pct resize {vm_id} rootfs {size_gb}G
    echo "CT {vm_id}: root disk grown to {size_gb}G"
else
    echo "CT {vm_id}: refusing to shrink the root disk from $have bytes to {size_gb}G:" \\
        "Proxmox cannot shrink a container volume; set diskGb back, or rebuild the" \\
        "container explicitly (docs/proxmox.md)" >&2
    exit 1
fi
"""
