"""The script that installs a NAT ruleset read on stdin, atomically and only when it changed.

Order matters: the new text is checked with ``nft -c`` before it is loaded, and the file that
restores it at boot is replaced only after the load succeeded. A rejected ruleset therefore
leaves both the running ruleset and the boot-time file as they were.
"""

from __future__ import annotations

from components.derive.nat import NAT_TABLE

NAT_DIR = "/etc/platform"

NAT_APPLY_SCRIPT = f"""\
#!/bin/sh
# Install the NAT ruleset given on stdin. Idempotent; a bad ruleset changes nothing.
set -eu
dir="${{PLATFORM_NAT_DIR:-{NAT_DIR}}}"
target="$dir/nat.nft"
mkdir -p "$dir"
tmp=$(mktemp "$dir/.nat.nft.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chmod 0644 "$tmp"
if [ -f "$target" ] && cmp -s "$tmp" "$target" \\
    && nft list table ip {NAT_TABLE} > /dev/null 2>&1; then
    echo "nat ruleset unchanged"
    exit 0
fi
if ! nft -c -f "$tmp"; then
    echo "nat ruleset rejected by 'nft -c'; the previous ruleset stays in force" >&2
    exit 1
fi
nft -f "$tmp"
mv "$tmp" "$target"
trap - EXIT
echo "nat ruleset applied"
"""
