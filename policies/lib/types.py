"""The resource type tokens the rules read, each written once.

A rule module names the ones it reads in its ``RESOURCE_TYPES`` (the factories call its
validation for those only, and the rules table lists them); code that tells one type from
another compares with these constants.
"""

from __future__ import annotations

# pulumi-docker
DOCKER_CONTAINER = "docker:index/container:Container"
DOCKER_VOLUME = "docker:index/volume:Volume"
DOCKER_NETWORK = "docker:index/network:Network"

# This library's backup job (components/docker/backup_job.py): a component whose inputs name
# the container it covers (containerUrn, container, machine) and its off-site copy's kind.
BACKUP_JOB = "selfhosted:backup:BackupJob"

# The Python SDK's dynamic resources (pulumi/dynamic/dynamic.py: every one has this type unless
# its class names a module): this library's Nginx Proxy Manager objects (lib/npm_objects.py).
DYNAMIC_RESOURCE = "pulumi-python:dynamic:Resource"

# pulumi-command: a remote (SSH) or a local command; both carry the same properties.
COMMANDS = ("command:remote:Command", "command:local:Command")

# Proxmox VE (bpg/proxmoxve)
PROXMOX_CONTAINER = "proxmoxve:index/containerLegacy:ContainerLegacy"
PROXMOX_VM = "proxmoxve:index/vmLegacy:VmLegacy"
PROXMOX_BRIDGES = (
    "proxmoxve:network/linux/bridge:Bridge",
    "proxmoxve:network/linux/bridgeLegacy:BridgeLegacy",
)

# DigitalOcean
DO_DROPLET = "digitalocean:index/droplet:Droplet"
DO_FIREWALL = "digitalocean:index/firewall:Firewall"
DO_VOLUME = "digitalocean:index/volume:Volume"
DO_DATABASE_CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster"
DO_DATABASE_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"

# Hetzner Cloud
HCLOUD_SERVER = "hcloud:index/server:Server"
HCLOUD_FIREWALL = "hcloud:index/firewall:Firewall"
HCLOUD_FIREWALL_ATTACHMENT = "hcloud:index/firewallAttachment:FirewallAttachment"
HCLOUD_VOLUME = "hcloud:index/volume:Volume"
