"""The opt-in storage merge of seed 000: the `data` thin pool folded into the root LV.

A Proxmox VE installation on LVM makes a volume group (``pve`` by default) holding ``root``
(mounted at /), ``swap`` and ``data``, a thin pool registered as the storage ``local-lvm``
(pve-installer, Proxmox/Install.pm ``create_lvm_volumes``; the storage entry is written by
``PVE::Storage`` as ``lvmthin: local-lvm / thinpool data / vgname pve``, see
https://pve.proxmox.com/wiki/Storage:_LVM_Thin).

The script is **resumable**: every step looks at the state it would change and skips itself
when it is already done, so running it again after a failure at any point (or after a crash
between two steps) finishes the job, and running it after success changes nothing:

1. the in-use check, while ``data`` exists: ``lvs`` lists every thin volume whose pool is
   ``data`` (guest disks, snapshots, volumes of a storage entry removed by hand); any one stops
   the merge. Proxmox's own volume list would miss volumes it does not know about.
2. the ``lvmthin`` storage entries on that pool are removed (``pvesm remove``), so nothing
   allocates in it while it goes; then ``lvremove`` removes the pool.
3. ``lvextend`` gives ``root`` every free extent of the volume group, if there is any;
4. ``fsadm resize`` grows the root filesystem to its LV (ext4 or xfs, online; nothing to do
   when it already fills it);
5. the storage ``local`` gets the content types ``rootdir`` and ``images`` added to the ones
   it has (the list is kept, never replaced).
"""

from __future__ import annotations

import re

# LVM's own rule for volume group names (lvm(8), "VALID NAMES"): letters, digits and
# `+_.-`, not starting with a hyphen, and not `.`/`..`.
_VG_NAME_RE = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$")

PVE_STORAGE_CFG = "/etc/pve/storage.cfg"


def merge_data_script(volume_group: str = "pve") -> str:
    """The merge for ``volume_group`` (Proxmox's installer calls it ``pve``)."""
    if not _VG_NAME_RE.fullmatch(volume_group) or volume_group in (".", ".."):
        raise ValueError(
            f"volume group {volume_group!r} is not a valid LVM name: letters, digits and "
            "'+_.-', not starting with '-'"
        )
    return f"""\
#!/bin/sh
# Fold the `data` thin pool of volume group {volume_group} into its root LV (seed 000). Opt-in.
# Resumable: each step skips itself when already done, so a re-run after a failure finishes.
set -eu
vg='{volume_group}'
storage_cfg='{PVE_STORAGE_CFG}'

# lvmthin storage entries (Proxmox) whose pool is $vg/data; none when pvesm is not installed.
pool_storages() {{
    command -v pvesm > /dev/null 2>&1 && [ -f "$storage_cfg" ] || return 0
    awk -v vg="$vg" '
        /^[a-z]+:/ {{ type = $1; name = $2; pool[name] = ""; group[name] = "" }}
        type == "lvmthin:" && $1 == "thinpool" {{ pool[name] = $2 }}
        type == "lvmthin:" && $1 == "vgname" {{ group[name] = $2 }}
        END {{ for (n in pool) if (pool[n] == "data" && group[n] == vg) print n }}
    ' "$storage_cfg"
}}

remove_pool_storages() {{
    for storage in $(pool_storages); do
        pvesm remove "$storage"
        echo "removed storage entry $storage ($vg/data)"
    done
}}

if ! vgs "$vg" > /dev/null 2>&1; then
    echo "volume group $vg not found on this host (vgs lists: $(vgs --noheadings -o vg_name \\
        | tr -d ' ' | paste -sd' ' -)); set the host's volume group to the right one" >&2
    exit 1
fi
if lvs "$vg/data" > /dev/null 2>&1; then
    # The real in-use check: every thin volume in the pool, whoever created it.
    in_use=$(lvs --noheadings -o lv_name --select "pool_lv=data" "$vg" | tr -d ' ')
    if [ -n "$in_use" ]; then
        echo "refusing to merge $vg/data into $vg/root: the pool still holds thin volumes:" >&2
        printf '%s\\n' "$in_use" | sed 's/^/  /' >&2
        echo "move them (pct move-volume, qm disk move) or remove their guests, then re-run" >&2
        exit 1
    fi
    remove_pool_storages
    lvremove -y "$vg/data"
    echo "removed $vg/data"
else
    echo "$vg/data is already gone"
fi
# Also after a run that removed the pool but failed before its storage entry went.
remove_pool_storages

free=$(vgs --noheadings --units b --nosuffix -o vg_free "$vg" | tr -d ' ')
if [ "$free" -gt 0 ]; then
    lvextend -l +100%FREE "$vg/root"
else
    echo "$vg/root already has every extent of $vg"
fi
# Grows the filesystem to the LV; does nothing when it already fills it (a resumed run).
fsadm -y resize "/dev/$vg/root"

if command -v pvesm > /dev/null 2>&1 && [ -f "$storage_cfg" ]; then
    have=$(awk '/^[a-z]+:/ {{ on = ($2 == "local") }} on && $1 == "content" {{ print $2 }}' \\
        "$storage_cfg")
    want=$(printf '%s\\n' "$have" rootdir images | tr ',' '\\n' | sed '/^$/d' | sort -u \\
        | paste -sd, -)
    sorted=$(printf '%s\\n' "$have" | tr ',' '\\n' | sed '/^$/d' | sort -u | paste -sd, -)
    if [ "$want" != "$sorted" ]; then
        pvesm set local --content "$want"
    fi
fi
echo "$vg/data merged into $vg/root"
"""
