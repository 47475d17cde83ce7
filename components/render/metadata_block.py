"""Keep Docker containers away from the cloud metadata service (169.254.169.254).

A cloud server's user-data holds its SSH host private key (render/cloud_init.py), and the
provider serves user-data to anyone on the server who asks the metadata address (Hetzner
Cloud: /hetzner/v1/userdata, DigitalOcean: /metadata/v1/user-data). A container on a bridge
network reaches it too: its packets are forwarded and masqueraded by Docker like any others.
So every packet forwarded to the metadata address is rejected in `DOCKER-USER`, the chain
Docker jumps to first from `FORWARD` and never changes ("Docker will not delete or modify any
pre-existing rules from the DOCKER-USER filter chain", moby libnetwork firewall_linux.go).
The server itself (cloud-init at every boot) is not forwarded, so it still reads its metadata.

The rule goes in from a docker.service drop-in (`ExecStartPre`): before dockerd starts, at
every boot and every Docker restart, so no container runs a moment without it, and a failure
keeps Docker down (closed) rather than up without it. The script is idempotent.
Not covered: containers on the host network (`network_mode: host`) are the host for netfilter;
IPv6 (neither provider serves metadata over IPv6).
Proven with the real engine in tests/docker/test_metadata_block.py.
"""

from __future__ import annotations

from dataclasses import dataclass

METADATA_ADDRESS = "169.254.169.254"
SCRIPT_PATH = "/usr/local/sbin/selfhosted-metadata-block"
DROPIN_PATH = "/etc/systemd/system/docker.service.d/20-metadata-block.conf"
CHAIN = "DOCKER-USER"


@dataclass(frozen=True)
class HostFile:
    path: str
    permissions: str
    content: str


def metadata_block_script() -> str:
    """POSIX sh, run as root before dockerd starts; adds the rule once."""
    match = f"-d {METADATA_ADDRESS}/32 -j REJECT"
    return f"""\
#!/bin/sh
# Managed by selfhosted-platform. Containers must not read the cloud metadata service (a
# cloud server's user-data holds its SSH host key): reject what is forwarded to it.
set -eu
iptables -w -N {CHAIN} 2> /dev/null || true
if ! iptables -w -C {CHAIN} {match} 2> /dev/null; then
    iptables -w -I {CHAIN} 1 {match}
fi
"""


def metadata_block_dropin() -> str:
    """The docker.service drop-in that runs the script before every start of dockerd."""
    return f"""\
# Managed by selfhosted-platform: the metadata block before dockerd starts (boot and restart).
[Service]
ExecStartPre={SCRIPT_PATH}
"""


def metadata_block_files() -> tuple[HostFile, ...]:
    """The files a Docker host needs for the block (cloud-init write_files, a guest's install)."""
    return (
        HostFile(SCRIPT_PATH, "0755", metadata_block_script()),
        HostFile(DROPIN_PATH, "0644", metadata_block_dropin()),
    )
