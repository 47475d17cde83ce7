"""Debian's node exporter on a Proxmox host, scraped by the monitoring guest over the NAT bridge.

A Proxmox host runs no Docker engine: the exporter is the distribution's package (Proxmox VE 8
is Debian bookworm: prometheus-node-exporter 1.5), configured through the package's own
``/etc/default/prometheus-node-exporter`` (its unit runs ``prometheus-node-exporter $ARGS``
with that file as ``EnvironmentFile``). It listens on the bridge's address only, never on the
uplink, so nothing of it faces the internet; a drop-in starts it after the network is up (the
bridge address must exist to bind) and retries instead of giving up after five fast failures.
"""

from __future__ import annotations

import shlex

from components.metrics import TEXTFILE_COLLECTOR_DIR

DEFAULTS_FILE = "/etc/default/prometheus-node-exporter"
DROP_IN = "/etc/systemd/system/prometheus-node-exporter.service.d/selfhosted.conf"
UNIT = "prometheus-node-exporter"


def node_exporter_args(listen: str) -> list[str]:
    return [
        f"--web.listen-address={listen}",
        f"--collector.textfile.directory={TEXTFILE_COLLECTOR_DIR}",
    ]


def node_exporter_defaults(listen: str) -> str:
    """The package's defaults file: ``ARGS`` for its unit."""
    args = " ".join(node_exporter_args(listen))
    return f'# Managed by Pulumi (selfhosted-platform): platform:monitoring.\nARGS="{args}"\n'


DROP_IN_TEXT = """\
# Managed by Pulumi (selfhosted-platform): bind the bridge address once it exists.
[Unit]
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
RestartSec=5s
"""


def host_node_exporter_script(listen: str) -> str:
    """Install (once), configure and start the exporter; idempotent: it restarts the exporter
    only when its files change."""
    defaults = node_exporter_defaults(listen)
    return f"""\
#!/bin/sh
# Debian's node exporter on this host, listening on {listen} only. Idempotent.
set -eu
export DEBIAN_FRONTEND=noninteractive
if ! dpkg-query -W -f='${{Status}}' {UNIT} 2>/dev/null | grep -q 'install ok installed'; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends {UNIT}
fi
install -d -m 0755 {shlex.quote(TEXTFILE_COLLECTOR_DIR)}
changed=no
write() {{
    if [ "$(cat "$1" 2>/dev/null || true)" != "$2" ]; then
        mkdir -p "$(dirname "$1")"
        printf '%s\\n' "$2" > "$1.tmp"
        mv "$1.tmp" "$1"
        changed=yes
    fi
}}
write {DEFAULTS_FILE} {shlex.quote(defaults.rstrip(chr(10)))}
write {DROP_IN} {shlex.quote(DROP_IN_TEXT.rstrip(chr(10)))}
systemctl daemon-reload
systemctl enable {UNIT}
if [ "$changed" = yes ]; then
    systemctl restart {UNIT}
else
    systemctl start {UNIT}
fi
echo "{UNIT} listens on {listen}"
"""
