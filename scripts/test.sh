#!/usr/bin/env bash
# Set up and run the whole suite: lint, format check, strict mypy, and pytest including the
# network-namespace tests. Installs the Debian tools the tests use; needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(nftables iproute2 shellcheck systemd tcpdump lvm2)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
