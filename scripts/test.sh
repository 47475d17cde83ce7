#!/usr/bin/env bash
# Set up and run the whole suite: lint, format check, strict mypy, and pytest including the
# network-namespace tests. Installs the Debian tools the tests use; needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

# Network-namespace tests: nftables and iproute2; rendered files: shellcheck, systemd-analyze.
DEBIAN_PACKAGES=(nftables iproute2 shellcheck systemd)
# Renderer tests (tests/render): cloud-init schema, ssh -G / sshd, a dockerd, the runtime check image.
DEBIAN_PACKAGES+=(cloud-init openssh-client openssh-server docker.io busybox-static)
# Docker engine tests (tests/docker): their own dockerd in a network namespace, a probe image
# built locally.
DEBIAN_PACKAGES+=(iptables musl-tools gcc)
# The uplink capture and the storage-merge tests: tcpdump, real LVM tools.
DEBIAN_PACKAGES+=(tcpdump lvm2)
# The server data volume step (tests/render/test_server_steps.py): mkfs.ext4 on a loop device.
DEBIAN_PACKAGES+=(e2fsprogs)
# The real broker and clients of the Mosquitto app (tests/apps/test_mosquitto_broker.py).
DEBIAN_PACKAGES+=(mosquitto mosquitto-clients)
# Traefik's ACME resolver against a real ACME server (tests/docker/test_traefik_edge.py):
# pebble and its pebble-challtestsrv (the DNS pebble resolves route hosts with).
DEBIAN_PACKAGES+=(pebble)
# The plain Nginx kind (tests/network/test_nginx_proxy.py, tests/proxies/test_nginx_kind.py):
# Debian's nginx, dnsmasq as the resolver, pebble as the ACME CA, certbot as the client, curl.
DEBIAN_PACKAGES+=(nginx dnsmasq-base pebble certbot curl openssl)
# pgBouncer in front of a real PostgreSQL with TLS (tests/render/test_pgbouncer.py).
DEBIAN_PACKAGES+=(postgresql pgbouncer postgresql-client)
# Backup round trips (tests/backup, benchmarks/backup_throughput.py): real servers, restic, rclone.
DEBIAN_PACKAGES+=(postgresql mariadb-server redis-server influxdb influxdb-client restic rclone)
# The monitoring set (tests/render/test_prometheus*.py, test_alert_rules.py, test_alertmanager.py,
# test_host_exporter.py): promtool, amtool, a real Prometheus and node and blackbox exporters.
DEBIAN_PACKAGES+=(prometheus prometheus-alertmanager prometheus-node-exporter prometheus-blackbox-exporter)
# The postgres exporter as derived, against a real PostgreSQL (tests/render/test_postgres_exporter.py).
DEBIAN_PACKAGES+=(prometheus-postgres-exporter)
# The monitoring set's live backups (tests/backup/test_monitoring_roundtrip.py): the snapshot
# request is made with wget, as in the Prometheus image.
DEBIAN_PACKAGES+=(wget)
# NPM's generated config in a real nginx (tests/docker/test_npm_edge.py): Node for NPM's Liquid
# engine (tests/proxies/npm_render.js), nginx's stream module for NPM's nginx.conf.
DEBIAN_PACKAGES+=(nodejs libnginx-mod-stream)
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
.venv/bin/python -m tests.proxies.liquidjs > /dev/null
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# GitHub workflows: actionlint (with shellcheck on every `run:`) and the workflow JSON schema.
.venv/bin/actionlint .github/workflows/*.yml
.venv/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
exec .venv/bin/python -m pytest "$@"
