"""The pack's rules, frozen: policy name -> stable id, written here on purpose.

The pack finds its rules by itself (``policies/lib/discovery.py``), so nothing else lists them;
this table is the deliberate second place. ``test_policy_pack.py`` fails when the discovered
rules and this table differ: a rule added, removed or renamed, or an id changed. Ids are never
renumbered or reused; a new rule takes the next free number of its family (``CLD``, ``CMD``,
``DKR``, ``NET``, ``PVE``, ``STK``) and one line here.
"""

from __future__ import annotations

RULE_IDS: dict[str, str] = {
    "cloud-firewall-restricted-inbound": "CLD-001",
    "server-has-firewall-and-ssh-keys": "CLD-002",
    "digitalocean-database-restricted": "CLD-003",
    "command-no-plaintext-secret": "CMD-001",
    "docker-container-not-privileged": "DKR-001",
    "docker-container-no-sensitive-host-path": "DKR-002",
    "docker-container-no-docker-socket": "DKR-003",
    "docker-container-no-host-namespace": "DKR-004",
    "docker-container-no-risky-capabilities": "DKR-005",
    "docker-container-no-unconfined-profile": "DKR-006",
    "docker-container-no-new-privileges": "DKR-007",
    "docker-container-no-public-database-port": "DKR-008",
    "docker-container-no-public-admin-port": "DKR-009",
    "docker-container-port-explicit-address": "DKR-010",
    "docker-container-resource-limits": "DKR-011",
    "docker-container-restart-policy": "DKR-012",
    "docker-container-healthcheck": "DKR-013",
    "docker-container-image-pinned": "DKR-014",
    "docker-container-no-plaintext-secret-env": "DKR-015",
    "docker-container-no-default-credentials": "DKR-016",
    "docker-container-database-volume-protected": "DKR-017",
    "docker-container-no-host-device": "DKR-018",
    "docker-container-no-shared-mount-propagation": "DKR-019",
    "docker-container-cpu-limit": "DKR-020",
    "docker-container-capabilities-dropped": "DKR-021",
    "docker-container-admin-panel-authenticated": "DKR-022",
    "docker-container-stateful-backed-up": "DKR-023",
    "docker-network-no-uplink-macvlan": "NET-001",
    "uplink-single-mac": "NET-002",
    "nat-forward-no-private-service-port": "NET-003",
    "proxy-route-admin-panel-authenticated": "NET-004",
    "proxmox-container-unprivileged": "PVE-001",
    "proxmox-container-nesting-unprivileged-only": "PVE-002",
    "stateful-resource-protected": "STK-001",
    "backup-job-offsite-copy": "STK-002",
}
