"""Every file the Proxmox host receives, and the scripts that install them over SSH."""

from __future__ import annotations

from dataclasses import dataclass

from components.derive.nat import NAT_TABLE, NatPlan
from components.spec import ProxmoxHostSpec

from .nat_apply import NAT_APPLY_SCRIPT, NAT_DIR
from .nftables import nat_ruleset

SYSCTL_PATH = "/etc/sysctl.d/99-platform-forwarding.conf"
NAT_UNIT = "platform-nat.service"
NAT_UNIT_PATH = f"/etc/systemd/system/{NAT_UNIT}"

SYSCTL_CONF = """\
# Managed by Pulumi (selfhosted-platform): the host routes for its NAT guests.
net.ipv4.ip_forward = 1
"""

NAT_UNIT_TEXT = f"""\
[Unit]
Description=Routed NAT for the private guest bridge (selfhosted-platform)
Documentation=file://{NAT_DIR}/nat.nft
# Interface names in the ruleset are matched as strings, so it loads before bridges exist.
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target shutdown.target
Conflicts=shutdown.target
ConditionPathExists={NAT_DIR}/nat.nft

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f {NAT_DIR}/nat.nft
ExecStop=/usr/sbin/nft delete table ip {NAT_TABLE}

[Install]
WantedBy=sysinit.target
"""

MERGE_DATA_SCRIPT = """\
#!/bin/sh
# Fold the default `data` thin pool into the root LV (seed 000). Opt-in and idempotent.
set -eu
if ! lvs pve/data > /dev/null 2>&1; then
    echo "pve/data is already gone; nothing to merge"
    exit 0
fi
if pvesm status --storage local-lvm > /dev/null 2>&1; then
    used=$(pvesm list local-lvm | tail -n +2 | wc -l)
    if [ "$used" -gt 0 ]; then
        echo "refusing to merge: $used volume(s) on local-lvm (pve/data) are still in use" >&2
        pvesm list local-lvm >&2
        exit 1
    fi
    pvesm remove local-lvm
fi
lvremove -y pve/data
lvextend -r -l +100%FREE pve/root
pvesm set local --content iso,vztmpl,backup,rootdir,images,snippets
echo "pve/data merged into pve/root"
"""


@dataclass(frozen=True)
class HostFile:
    """A rendered file: where it lives on the host (or in a render folder) and its text."""

    path: str
    text: str
    executable: bool = False


def prepare_host_script() -> str:
    """Install the forwarding sysctl and the boot-time NAT unit; safe to run again."""
    return f"""\
#!/bin/sh
# Prepare the Proxmox host for routed NAT. Idempotent.
set -eu
cat > {SYSCTL_PATH} <<'SYSCTL'
{SYSCTL_CONF}SYSCTL
sysctl -q -p {SYSCTL_PATH}
cat > {NAT_UNIT_PATH} <<'UNIT'
{NAT_UNIT_TEXT}UNIT
systemctl daemon-reload
systemctl enable {NAT_UNIT}
echo "host prepared for routed NAT"
"""


def host_files(host: ProxmoxHostSpec, plan: NatPlan) -> list[HostFile]:
    """Files for ``render --out DIR/<host>/``; nftables.conf loads on a fresh host."""
    files = [
        HostFile("nftables.conf", nat_ruleset(plan)),
        HostFile("sysctl.d/99-platform-forwarding.conf", SYSCTL_CONF),
        HostFile(f"systemd/{NAT_UNIT}", NAT_UNIT_TEXT),
        HostFile("prepare-host.sh", prepare_host_script(), executable=True),
        HostFile("apply-nat.sh", NAT_APPLY_SCRIPT, executable=True),
    ]
    if host.mergeDataIntoRoot:
        files.append(HostFile("merge-data-into-root.sh", MERGE_DATA_SCRIPT, executable=True))
    return files
