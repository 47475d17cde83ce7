"""Every file the Proxmox host receives, and the scripts that install them over SSH."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from components.derive.nat import NAT_TABLE, NatPlan
from components.spec import ProxmoxHostSpec

from .nat_apply import NAT_APPLY_SCRIPT, NAT_DIR
from .nftables import nat_ruleset
from .storage_merge import merge_data_script

# The default volume group's merge, for callers that do not configure one.

SYSCTL_PATH = "/etc/sysctl.d/99-platform-forwarding.conf"
NAT_UNIT = "platform-nat.service"
NAT_UNIT_PATH = f"/etc/systemd/system/{NAT_UNIT}"

SYSCTL_CONF = """\
# Managed by Pulumi (selfhosted-platform): the host routes for its NAT guests.
net.ipv4.ip_forward = 1
"""

NFTABLES_DROPIN = "nftables.service.d/platform-nat.conf"
NFTABLES_DROPIN_PATH = f"/etc/systemd/system/{NFTABLES_DROPIN}"

# Loads the NAT table when its file exists (a host prepared but not yet given a ruleset has
# none); the file itself deletes and recreates only its own table, atomically.
_RELOAD_NAT = f"/bin/sh -c '[ ! -f {NAT_DIR}/nat.nft ] || exec /usr/sbin/nft -f {NAT_DIR}/nat.nft'"

NAT_UNIT_TEXT = f"""\
[Unit]
Description=Routed NAT for the private guest bridge (selfhosted-platform)
Documentation=file://{NAT_DIR}/nat.nft
# Interface names in the ruleset are matched as strings, so it loads before bridges exist.
DefaultDependencies=no
Wants=network-pre.target
# After Debian's nftables.service, whose /etc/nftables.conf starts with `flush ruleset`: at
# boot our table is loaded after that flush, never before it (ordering only, no dependency).
After=nftables.service
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

# Debian's nftables.service (nftables 1.0.6-2+deb12u2, debian/nftables.service) runs
# `nft -f /etc/nftables.conf` on start and reload, and the shipped file begins with
# `flush ruleset`; stop runs `nft flush ruleset`. Each removes every table, ours included.
# This drop-in puts the NAT table back after each of them (Exec*= lines of a drop-in are
# appended to the unit's own; ExecStopPost also runs when the start failed).
NFTABLES_DROPIN_TEXT = f"""\
# Managed by Pulumi (selfhosted-platform): keep the guests' NAT table when nftables.service
# flushes the ruleset (start, reload and stop all do).
[Service]
ExecStartPost={_RELOAD_NAT}
ExecReload={_RELOAD_NAT}
ExecStopPost={_RELOAD_NAT}
"""


def uplink_check_script(uplink: str, public_address: IPv4Address | None) -> str:
    """Shell lines that stop with every broken uplink assumption listed, changing nothing.

    The NAT ruleset masquerades behind ``public_address`` on ``uplink`` and guards that
    interface; both are wrong on a host whose address or default route is elsewhere.
    ``public_address`` None checks only the default route.
    """
    address_check = (
        f"""\
if ! ip link show dev "$uplink" > /dev/null 2>&1; then
    problems="$problems
- the uplink bridge $uplink does not exist (uplinkBridge names the bridge holding the physical
  port and the public address)"
else
    addresses=$(ip -4 -o addr show dev "$uplink" | awk '{{print $4}}' | cut -d/ -f1)
    if ! printf '%s\\n' "$addresses" | grep -qxF '{public_address}'; then
        found=$(printf '%s\\n' "$addresses" | paste -sd' ' -)
        found=${{found:-no IPv4 address}}
        problems="$problems
- the public address {public_address} is not on the uplink bridge $uplink (it has: $found)"
    fi
fi
"""
        if public_address is not None
        else ""
    )
    return f"""\
# The uplink assumptions of the NAT ruleset, checked before anything changes.
uplink='{uplink}'
problems=''
{address_check}route=$(ip -4 route show default | head -n 1)
via=$(printf '%s\\n' "$route" | awk '{{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}}')
if [ -z "$route" ]; then
    problems="$problems
- the host has no IPv4 default route; it must leave through the uplink bridge $uplink"
elif [ "$via" != "$uplink" ]; then
    problems="$problems
- the default route leaves through ${{via:-no interface}}, not the uplink bridge $uplink ($route)"
fi
if [ -n "$problems" ]; then
    echo "host preparation stopped: the uplink is not as the stack describes it:$problems" >&2
    exit 1
fi
"""


@dataclass(frozen=True)
class HostFile:
    """A rendered file: where it lives on the host (or in a render folder) and its text."""

    path: str
    text: str
    executable: bool = False


def prepare_host_script(uplink: str = "vmbr0", public_address: IPv4Address | None = None) -> str:
    """Check the uplink, then install the forwarding sysctl, the boot-time NAT unit and the
    nftables.service drop-in; safe to run again."""
    return f"""\
#!/bin/sh
# Prepare the Proxmox host for routed NAT. Idempotent.
set -eu
{uplink_check_script(uplink, public_address)}
cat > {SYSCTL_PATH} <<'SYSCTL'
{SYSCTL_CONF}SYSCTL
sysctl -q -p {SYSCTL_PATH}
cat > {NAT_UNIT_PATH} <<'UNIT'
{NAT_UNIT_TEXT}UNIT
mkdir -p {NFTABLES_DROPIN_PATH.rsplit("/", 1)[0]}
cat > {NFTABLES_DROPIN_PATH} <<'DROPIN'
{NFTABLES_DROPIN_TEXT}DROPIN
systemctl daemon-reload
systemctl enable {NAT_UNIT}
echo "host prepared for routed NAT"
"""


def host_files(host: ProxmoxHostSpec, plan: NatPlan) -> list[HostFile]:
    """Files for ``render --out DIR/<host>/``; nftables.conf loads on a fresh host."""
    guest_host_ports = frozenset(host.guestManagementPorts)
    files = [
        HostFile("nftables.conf", nat_ruleset(plan, guest_host_ports=guest_host_ports)),
        HostFile("sysctl.d/99-platform-forwarding.conf", SYSCTL_CONF),
        HostFile(f"systemd/{NAT_UNIT}", NAT_UNIT_TEXT),
        HostFile(f"systemd/{NFTABLES_DROPIN}", NFTABLES_DROPIN_TEXT),
        HostFile(
            "prepare-host.sh",
            prepare_host_script(host.uplinkBridge, host.publicAddress),
            executable=True,
        ),
        HostFile("apply-nat.sh", NAT_APPLY_SCRIPT, executable=True),
    ]
    if host.mergeDataIntoRoot:
        files.append(
            HostFile(
                "merge-data-into-root.sh",
                merge_data_script(host.volumeGroup),
                executable=True,
            )
        )
    return files
