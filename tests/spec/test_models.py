"""The ``platform`` config spec: one valid baseline (prod), then one mutation per rule.

Pure pydantic: no Pulumi runtime. Every assertion compares the exact text an operator reads,
``platform:<path>: <value> <problem>; <what is allowed>``, one line per problem.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from components.proxies import nginx as nginx_kind
from components.spec import PortRange, SpecError
from tests.spec.spec_helpers import (
    DROPLET_KEY,
    SECRET_VALUES,
    SECRETS,
    Mutation,
    add_droplet,
    add_service,
    append,
    drop,
    error_text,
    forward,
    leaves,
    mutated,
    parse,
    private,
    put,
    rename,
)
from tests.stacks import ed25519_public_key

ROOT = Path(__file__).resolve().parents[2]

# A copy of the `platform:` namespace of Pulumi.prod.yaml without its secrets
# (test_baseline_is_prod keeps it so).
BASELINE: dict[str, Any] = {
    "hosts": {
        "ax102": {
            "kind": "proxmox",
            "nodeName": "ax102",
            "apiEndpoint": "https://ax102.example.com:8006/",
            "publicAddress": "203.0.113.10",
            "sshHostKey": "ssh-ed25519 "
            "AAAAC3NzaC1lZDI1NTE5AAAAIGisWRTwwc7DmQW4+3wxsVa/+WwhAEYdiHpAa/1hWB0V",
            "uplinkBridge": "vmbr0",
            "mergeDataIntoRoot": True,
            "containerDatastore": "local",
            "template": {
                "url": "https://download.proxmox.com/images/system/"
                "debian-12-standard_12.12-1_amd64.tar.zst",
                "checksumAlgorithm": "sha512",
                "checksum": "50c85eaaece677a3ebe01cc909b83872e9da2a22c29ae652838afce71e83222f"
                "df40f6accecd7d52b180e912fc1f85ecdf7b3fc4d3027da4d865e509a9e76597",
                "datastore": "local",
                "osType": "debian",
            },
            "natBridge": {"name": "vmbr1", "address": "10.0.0.1/24"},
        }
    },
    "guests": {
        "proxy": {
            "host": "ax102",
            "description": "Nginx Proxy Manager - web gateway and TLS (Let's Encrypt)",
            "vmId": 102,
            "address": "10.0.0.2",
            "cores": 2,
            "memoryMb": 2048,
            "diskGb": 16,
            "startOrder": 1,
            "stateful": True,
        },
        "livekit": {
            "host": "ax102",
            "description": "LiveKit SFU - WebRTC video and audio, and the Redis it "
            "shares with Egress",
            "vmId": 110,
            "address": "10.0.0.10",
            "cores": 8,
            "memoryMb": 16384,
            "diskGb": 32,
            "startOrder": 2,
        },
        "egress": {
            "host": "ax102",
            "description": "LiveKit Egress - recording and RTMP streaming",
            "vmId": 111,
            "address": "10.0.0.11",
            "cores": 8,
            "memoryMb": 16384,
            "diskGb": 200,
            "startOrder": 3,
            "stateful": True,
        },
        "agents": {
            "host": "ax102",
            "description": "LiveKit Agents - AI and signal processing",
            "vmId": 112,
            "address": "10.0.0.12",
            "cores": 4,
            "memoryMb": 8192,
            "diskGb": 32,
            "startOrder": 3,
        },
        "backend": {
            "host": "ax102",
            "description": "Backend - API and business logic",
            "vmId": 113,
            "address": "10.0.0.13",
            "cores": 4,
            "memoryMb": 8192,
            "diskGb": 64,
            "startOrder": 4,
            "stateful": True,
        },
        "frontend": {
            "host": "ax102",
            "description": "Frontend - web user interface",
            "vmId": 114,
            "address": "10.0.0.14",
            "cores": 2,
            "memoryMb": 2048,
            "diskGb": 16,
            "startOrder": 5,
        },
        "monitoring": {
            "host": "ax102",
            "description": (
                "Monitoring - Prometheus, Alertmanager, Grafana for every guest "
                "(platform:monitoring)"
            ),
            "vmId": 115,
            "address": "10.0.0.15",
            "cores": 2,
            "memoryMb": 4096,
            "diskGb": 100,
            "startOrder": 6,
            "stateful": True,
        },
    },
    "networks": {"app": {"dockerName": "app"}, "monitoring": {"dockerName": "monitoring"}},
    "proxy": {
        "service": "npm",
        "kind": "nginx-proxy-manager",
        "adminEmail": "admin@example.com",
        "adminPassword": {"secret": "npm.adminPassword"},
        "bootstrapPassword": {"secret": "npm.bootstrapPassword"},
        "letsencryptEmail": "ops@example.com",
    },
    "services": {
        "npm": {
            "machine": "proxy",
            "image": "jc21/nginx-proxy-manager:2.12.6",
            "networks": ["app"],
            "stateful": True,
            "volumes": [
                {"name": "npm-data", "path": "/data"},
                {"name": "npm-letsencrypt", "path": "/etc/letsencrypt"},
            ],
            "capAdd": [
                "CHOWN",
                "SETUID",
                "SETGID",
                "DAC_OVERRIDE",
                "FOWNER",
                "NET_BIND_SERVICE",
                "KILL",
            ],
            "resources": {"memoryMb": 1024, "cpus": 1.0, "pids": 512},
            "healthcheck": {"test": ["CMD", "/usr/bin/check-health"]},
        },
        "livekit": {
            "machine": "livekit",
            "image": "livekit/livekit-server:v1.9.1",
            "networkMode": "host",
            "policyExceptions": {
                "docker-container-no-host-namespace": "LiveKit's "
                "WebRTC "
                "media "
                "range "
                "(UDP "
                "50000-60000) "
                "is "
                "served "
                "on the "
                "guest's "
                "own "
                "network; "
                "publishing "
                "10,001 "
                "ports "
                "through "
                "Docker "
                "would "
                "start a "
                "proxy "
                "per "
                "port."
            },
            "app": {
                "kind": "livekit",
                "apiKey": {"secret": "livekit.apiKey"},
                "apiSecret": {"secret": "livekit.apiSecret"},
                "redisAddress": "10.0.0.10:6379",
                "redisPassword": {"secret": "redis.password"},
            },
            "resources": {"memoryMb": 12288, "cpus": 7.0, "pids": 4096},
            "healthcheck": {"test": ["CMD", "wget", "-qO-", "http://127.0.0.1:7880/"]},
            "expose": [
                {
                    "kind": "forward",
                    "protocol": "udp",
                    "ports": "50000-60000",
                    "description": "WebRTC media straight to LiveKit, never through the proxy",
                },
                {
                    "kind": "forward",
                    "protocol": "tcp",
                    "ports": 7881,
                    "description": "LiveKit ICE/TCP fallback for clients that cannot use UDP",
                },
                {"kind": "route", "host": "livekit.example.com", "port": 7880, "websocket": True},
            ],
        },
        "redis": {
            "machine": "livekit",
            "image": "redis:7.4.2",
            "networks": ["app"],
            "stateful": True,
            "command": [
                "sh",
                "-c",
                'exec redis-server --requirepass "$REDIS_PASSWORD" --appendonly yes',
            ],
            "env": {"REDIS_PASSWORD": {"secret": "redis.password"}},
            "volumes": [{"name": "redis-data", "path": "/data"}],
            "capAdd": ["SETUID", "SETGID"],
            "resources": {"memoryMb": 1024, "cpus": 1.0, "pids": 256},
            "healthcheck": {
                "test": [
                    "CMD-SHELL",
                    'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG',
                ]
            },
            "expose": [{"kind": "private", "protocol": "tcp", "ports": 6379}],
        },
        "egress": {
            "machine": "egress",
            "image": "livekit/egress:v1.9.0",
            "networks": ["app"],
            "app": {
                "kind": "livekit-egress",
                "wsUrl": "ws://10.0.0.10:7880",
                "apiKey": {"secret": "livekit.apiKey"},
                "apiSecret": {"secret": "livekit.apiSecret"},
                "redisAddress": "10.0.0.10:6379",
                "redisPassword": {"secret": "redis.password"},
            },
            "capAdd": ["SYS_ADMIN"],
            "policyExceptions": {
                "docker-container-no-risky-capabilities": "Egress "
                "records "
                "with "
                "headless "
                "Chrome, "
                "whose "
                "sandbox "
                "needs "
                "SYS_ADMIN "
                "(LiveKit's "
                "egress "
                "deployment "
                "docs); "
                "the "
                "guest "
                "is "
                "unprivileged "
                "LXC."
            },
            "resources": {"memoryMb": 12288, "cpus": 7.0, "pids": 4096},
            "healthcheck": {"test": ["CMD-SHELL", "pgrep -x egress > /dev/null"]},
        },
        "agents": {
            "machine": "agents",
            "image": "ghcr.io/example/agents:1.0.0",
            "networks": ["app"],
            "env": {
                "LIVEKIT_URL": "ws://10.0.0.10:7880",
                "LIVEKIT_API_KEY": {"secret": "livekit.apiKey"},
                "LIVEKIT_API_SECRET": {"secret": "livekit.apiSecret"},
            },
            "resources": {"memoryMb": 6144, "cpus": 4.0, "pids": 1024},
            "healthcheck": {"test": ["CMD-SHELL", "test -e /proc/1/status"]},
        },
        "backend": {
            "machine": "backend",
            "image": "ghcr.io/example/backend:1.0.0",
            "networks": ["app"],
            "resources": {"memoryMb": 6144, "cpus": 4.0, "pids": 1024},
            "healthcheck": {"test": ["CMD", "wget", "-qO-", "http://127.0.0.1:8000/health"]},
            "expose": [{"kind": "route", "host": "app.example.com", "path": "/api", "port": 8000}],
        },
        "frontend": {
            "machine": "frontend",
            "image": "ghcr.io/example/frontend:1.0.0",
            "networks": ["app"],
            "resources": {"memoryMb": 1024, "cpus": 2.0, "pids": 512},
            "healthcheck": {"test": ["CMD", "wget", "-qO-", "http://127.0.0.1:3000/"]},
            "expose": [{"kind": "route", "host": "app.example.com", "port": 3000}],
        },
    },
    "backups": {
        "repository": {"kind": "local", "path": "/var/backups/restic"},
        "password": {"secret": "backups.password"},
        "offsite": {
            "kind": "sftp",
            "host": "u123456.your-storagebox.de",
            "port": 23,
            "user": "u123456",
            "path": "/home/restic/prod",
            "privateKey": {"secret": "backups.storageBoxKey"},
            "hostKey": "ssh-ed25519 "
            "AAAAC3NzaC1lZDI1NTE5AAAAILSVyIwpyuxNYutFhaF9DR46ruZhWAxY5E3p4p+x2fMU "
            "example-storagebox",
        },
        "offsitePassword": {"secret": "backups.offsitePassword"},
        "schedule": "*-*-* 03:00:00",
        "retention": {"keepDaily": 7, "keepWeekly": 4, "keepMonthly": 6},
        "check": {"schedule": "Sun *-*-* 05:00:00", "readDataSubset": "5%"},
    },
    "adminSshKeys": [
        "ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAILYUir3X2JsWg5OBXyg6Dzcje0Gy1DZtN0Bqj7FNUB++ "
        "ops@example.com"
    ],
}

DOCUMENT: dict[str, Any] = {**BASELINE, SECRETS: SECRET_VALUES}

# prod's platform:monitoring, kept out of the baseline so the other rules' cases stay about
# their own services (tests/derive/test_monitoring.py and tests/spec/test_monitoring_rules.py
# use it).
PROD_MONITORING: dict[str, Any] = {
    "machine": "monitoring",
    "network": "monitoring",
    "retention": {"time": "30d", "sizeGb": 60},
    "receivers": {
        "ops": {"webhook": {"url": {"secret": "monitoring.opsWebhookUrl"}}},
        "heartbeat": {"webhook": {"url": {"secret": "monitoring.heartbeatUrl"}}},
    },
    "defaultReceiver": "ops",
    "heartbeatReceiver": "heartbeat",
    "routes": [{"receiver": "ops", "match": {"severity": "critical"}}],
    "grafana": {
        "host": "grafana.example.com",
        "adminPassword": {"secret": "monitoring.grafanaAdminPassword"},
        "allowFrom": ["198.51.100.0/24"],
    },
    "resources": {"cadvisor": {"memoryMb": 128}},
}


def doc(*mutations: Mutation) -> dict[str, Any]:
    """The baseline with its secrets, after ``mutations``."""
    return mutated(DOCUMENT, *mutations)


def test_baseline_is_prod() -> None:
    stack = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    prod = {
        key.removeprefix("platform:"): value
        for key, value in stack.items()
        if key.startswith("platform:") and key != f"platform:{SECRETS}"
    }
    assert prod == {**BASELINE, "monitoring": PROD_MONITORING}
    assert leaves(stack[f"platform:{SECRETS}"]) == {
        f"{path}.secure" for path in leaves(SECRET_VALUES)
    }


def test_baseline_parses() -> None:
    spec = parse(DOCUMENT)
    assert list(spec.hosts) == ["ax102"]
    host = spec.proxmox_hosts()["ax102"]
    assert str(host.natBridge.subnet) == "10.0.0.0/24"
    assert str(host.natBridge.gateway) == "10.0.0.1"
    assert list(spec.guests) == list(BASELINE["guests"])
    assert list(spec.services) == list(BASELINE["services"])
    assert spec.machines() == sorted(BASELINE["guests"])
    assert spec.host_of("livekit") == "ax102"
    assert spec.hostname_of("livekit") == "livekit"
    assert [(p.protocol, str(p.ports), p.reason) for p in spec.publications("livekit")] == [
        ("udp", "50000-60000", "forward"),
        ("tcp", "7881", "forward"),
        ("tcp", "7880", "route"),
    ]


def test_secrets_are_not_part_of_the_spec() -> None:
    dumped = parse(DOCUMENT).model_dump_json()
    for path in leaves(SECRET_VALUES):
        value: Any = SECRET_VALUES
        for part in path.split("."):
            value = value[part]
        assert value not in dumped


# --- one mutation per rule ----------------------------------------------------------------------

ED25519_KEY = ed25519_public_key("x")
# An ed25519 key's data under an ssh-rsa label.
RSA_BLOB_WITH_ED = "ssh-rsa " + ED25519_KEY.split()[1]
PORT_SYNTAX = "is not a port 1-65535 such as 443, or a range low-high such as 50000-60000"


def _case(id_: str, mutations: Mutation | list[Mutation], expected: str) -> Any:
    listed = mutations if isinstance(mutations, list) else [mutations]
    return pytest.param(listed, expected, id=id_)


RULES = [
    # hosts
    _case(
        "unknown-kind",
        put("hosts", "ax102", "kind", value="vmware"),
        "platform:hosts.ax102.kind: vmware is not a known kind; allowed kinds: "
        "proxmox, droplet, hcloud, ssh",
    ),
    _case(
        "missing-kind",
        drop("hosts", "ax102", "kind"),
        "platform:hosts.ax102.kind: kind is required; allowed kinds: proxmox, droplet, hcloud, ssh",
    ),
    _case(
        "host-key-bad-base64",
        put("hosts", "ax102", "sshHostKey", value="ssh-ed25519 AAAA!!!!"),
        "platform:hosts.ax102.sshHostKey: ssh-ed25519 AAAA!!!! is not an OpenSSH "
        "public key: its key data is not valid base64 of a ssh-ed25519 key",
    ),
    _case(
        "host-key-type-mismatch",
        put("hosts", "ax102", "sshHostKey", value=RSA_BLOB_WITH_ED),
        "platform:hosts.ax102.sshHostKey: ssh-rsa "
        "AAAAC3NzaC1lZDI1NTE5AAAAIC1xFkK3JrBEAWJ8qfusMvXIUw+xkDzE2wIlhxeSGkiB is not "
        "an OpenSSH public key: the line says ssh-rsa but the key data is ssh-ed25519",
    ),
    _case(
        "host-key-unknown-type",
        put("hosts", "ax102", "sshHostKey", value="ssh-dss AAAAB3NzaC1kc3M="),
        "platform:hosts.ax102.sshHostKey: ssh-dss AAAAB3NzaC1kc3M= is not an OpenSSH "
        "public key; expected `TYPE BASE64 [comment]` with TYPE one of ssh-ed25519, "
        "ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, "
        "sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com",
    ),
    _case(
        "host-key-missing-with-engines",
        drop("hosts", "ax102", "sshHostKey"),
        "platform:hosts.ax102.sshHostKey: is required: the Docker engines of agents, "
        "backend, egress, frontend, livekit, proxy are reached through ax102 as SSH "
        "jump host, and an unpinned jump would accept any key; set it to the content "
        "of the host's /etc/ssh/ssh_host_ed25519_key.pub",
    ),
    _case(
        "admin-key-truncated",
        put("adminSshKeys", 0, value="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"),
        "platform:adminSshKeys[0]: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 is not an "
        "OpenSSH public key: its key data is not valid base64 of a ssh-ed25519 key",
    ),
    _case(
        "admin-key-comment-quote",
        put("adminSshKeys", 0, value=ED25519_KEY + " ops'@example.com"),
        "platform:adminSshKeys[0]: ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIC1xFkK3JrBEAWJ8qfusMvXIUw+xkDzE2wIlhxeSGkiB "
        "ops'@example.com has a key comment with quotes, `$`, backslashes or newlines",
    ),
    _case(
        "container-datastore-shell",
        put("hosts", "ax102", "containerDatastore", value="local; reboot"),
        "platform:hosts.ax102.containerDatastore: local; reboot reaches a shell "
        "command line; use only letters, digits and . _ - : / @ + = , starting with "
        "a letter or digit (no spaces or shell metacharacters)",
    ),
    _case(
        "volume-group-shell",
        put("hosts", "ax102", "volumeGroup", value="pve$(reboot)"),
        "platform:hosts.ax102.volumeGroup: pve$(reboot) reaches a shell command "
        "line; use only letters, digits and . _ - : / @ + = , starting with a letter "
        "or digit (no spaces or shell metacharacters)",
    ),
    _case(
        "template-datastore-shell",
        put("hosts", "ax102", "template", "datastore", value="local`id`"),
        "platform:hosts.ax102.template.datastore: local`id` reaches a shell command "
        "line; use only letters, digits and . _ - : / @ + = , starting with a letter "
        "or digit (no spaces or shell metacharacters)",
    ),
    _case(
        "droplet-region-shell",
        add_droplet(region="fra1 && curl example.com"),
        "platform:hosts.edge.region: fra1 && curl example.com reaches a shell "
        "command line; use only letters, digits and . _ - : / @ + = , starting with "
        "a letter or digit (no spaces or shell metacharacters)",
    ),
    _case(
        "redis-address-shell",
        put("services", "livekit", "app", "redisAddress", value="10.0.0.10:6379|nc"),
        "platform:services.livekit.app.redisAddress: 10.0.0.10:6379|nc reaches a "
        "shell command line; use only letters, digits and . _ - : / @ + = , starting "
        "with a letter or digit (no spaces or shell metacharacters)",
    ),
    _case(
        "user-shell",
        put("services", "backend", "user", value="1000;id"),
        "platform:services.backend.user: 1000;id reaches a shell command line; use "
        "only letters, digits and . _ - : / @ + = , starting with a letter or digit "
        "(no spaces or shell metacharacters)",
    ),
    _case(
        "unknown-host-key",
        put("hosts", "ax102", "publicAdress", value="203.0.113.10"),
        "platform:hosts.ax102.publicAdress: is not a known key; allowed keys: "
        "apiCaBundle, apiEndpoint, containerDatastore, dnsServers, "
        "guestManagementPorts, insecureTls, kind, mergeDataIntoRoot, natBridge, "
        "nodeName, publicAddress, sshAddress, sshHostKey, sshUser, template, "
        "uplinkBridge, volumeGroup",
    ),
    _case(
        "unknown-top-level",
        put("natBridge", value={"name": "vmbr1"}),
        "platform:natBridge: is not a known key; allowed keys: adminSshKeys, backups, databases, "
        "guests, hosts, monitoring, networks, proxy, registries, secrets, services",
    ),
    _case(
        "missing-node-name",
        drop("hosts", "ax102", "nodeName"),
        "platform:hosts.ax102.nodeName: is required: Proxmox node name as shown by "
        "`pvecm nodes`/the web UI.",
    ),
    _case(
        "public-address-in-subnet",
        put("hosts", "ax102", "publicAddress", value="10.0.0.200"),
        "platform:hosts.ax102.publicAddress: 10.0.0.200 is inside the NAT bridge "
        "subnet 10.0.0.0/24; the public address must lie outside it: move "
        "platform:hosts.ax102.natBridge.address to another private range",
    ),
    _case(
        "nat-bridge-is-uplink",
        put("hosts", "ax102", "natBridge", "name", value="vmbr0"),
        "platform:hosts.ax102.natBridge.name: vmbr0 is the uplink bridge; the NAT "
        "bridge must be a separate bridge",
    ),
    _case(
        "nat-address-no-prefix",
        put("hosts", "ax102", "natBridge", "address", value="10.0.0.1"),
        "platform:hosts.ax102.natBridge.address: 10.0.0.1 is not a valid IPv4 "
        "address with prefix, such as 10.0.0.1/24",
    ),
    # guests
    _case(
        "guest-unknown-host",
        put("guests", "livekit", "host", value="ax103"),
        "platform:guests.livekit.host: ax103 is not a host; guests run on a Proxmox host: ax102",
    ),
    _case(
        "guest-on-droplet",
        [add_droplet(), put("guests", "monitoring", "host", value="edge")],
        "platform:guests.monitoring.host: edge is a droplet host, not proxmox; "
        "guests run on a Proxmox host: ax102",
    ),
    _case(
        "guest-name-is-host",
        [add_droplet("monitoring")],
        "platform:guests.monitoring: monitoring is already a host name; hosts and "
        "guests share one namespace because services name either as their machine",
    ),
    _case(
        "duplicate-address",
        put("guests", "livekit", "address", value="10.0.0.2"),
        "platform:guests.livekit.address: 10.0.0.2 is already the address of "
        "platform:guests.proxy on host ax102; each guest needs its own address",
    ),
    _case(
        "duplicate-vmid",
        put("guests", "livekit", "vmId", value=102),
        "platform:guests.livekit.vmId: 102 is already the vmId of "
        "platform:guests.proxy on host ax102; each guest needs its own vmId",
    ),
    _case(
        "hostname-equals-other-guest",
        put("guests", "livekit", "hostname", value="proxy"),
        "platform:guests.livekit.hostname: proxy is already the hostname of "
        "platform:guests.proxy on host ax102; each guest needs its own hostname",
    ),
    _case(
        "address-outside",
        put("guests", "monitoring", "address", value="10.0.1.15"),
        "platform:guests.monitoring.address: 10.0.1.15 is outside the NAT bridge "
        "subnet 10.0.0.0/24",
    ),
    _case(
        "address-gateway",
        put("guests", "monitoring", "address", value="10.0.0.1"),
        "platform:guests.monitoring.address: 10.0.0.1 is the NAT bridge gateway; "
        "pick another address in 10.0.0.0/24",
    ),
    _case(
        "address-network",
        put("guests", "monitoring", "address", value="10.0.0.0"),
        "platform:guests.monitoring.address: 10.0.0.0 is the network address of "
        "10.0.0.0/24; pick a host address between 10.0.0.1 and 10.0.0.254, other "
        "than the gateway 10.0.0.1",
    ),
    _case(
        "address-broadcast",
        put("guests", "monitoring", "address", value="10.0.0.255"),
        "platform:guests.monitoring.address: 10.0.0.255 is the broadcast address of "
        "10.0.0.0/24; pick a host address between 10.0.0.1 and 10.0.0.254, other "
        "than the gateway 10.0.0.1",
    ),
    _case(
        "address-banana",
        put("guests", "monitoring", "address", value="banana"),
        "platform:guests.monitoring.address: banana is not a valid IPv4 address; use "
        "dotted-decimal form without a prefix, such as 10.0.0.2",
    ),
    _case(
        "guest-name-invalid",
        rename("guests", "monitoring", "Mon_itoring"),
        "platform:guests.Mon_itoring: Mon_itoring is not a valid name: a lower-case "
        "letter, then lower-case letters, digits or hyphens, at most 31 characters",
    ),
    _case(
        "vmid-low",
        put("guests", "monitoring", "vmId", value=99),
        "platform:guests.monitoring.vmId: 99 is invalid: Input should be greater "
        "than or equal to 100 (Proxmox guest id, 100-999999999, unique.)",
    ),
    # services
    _case(
        "machine-unknown",
        put("services", "backend", "machine", value="backnd"),
        "platform:services.backend.machine: backnd is not a host or guest; known: "
        "agents, backend, egress, frontend, livekit, monitoring, proxy",
    ),
    _case(
        "machine-is-proxmox",
        put("services", "backend", "machine", value="ax102"),
        "platform:services.backend.machine: ax102 is a Proxmox host, which runs no "
        "Docker engine itself; place the service on one of its guests: agents, "
        "backend, egress, frontend, livekit, monitoring, proxy",
    ),
    _case(
        "route-not-on-proxy-network",
        [
            put("networks", "web", value={}),
            put("services", "frontend", "machine", value="proxy"),
            put("services", "frontend", "networks", value=["web"]),
        ],
        "platform:services.frontend.expose[0]: route app.example.com/ goes through "
        "npm, but frontend is not on the proxy's network (app); add it to the "
        "service's networks",
    ),
    _case(
        "route-proxy-network-missing",
        [
            put("networks", "web", value={}),
            put("proxy", "network", value="app"),
            put("services", "frontend", "machine", value="proxy"),
            put("services", "npm", "networks", value=["app", "web"]),
            put("services", "frontend", "networks", value=["web"]),
        ],
        "platform:services.frontend.expose[0]: route app.example.com/ goes through "
        "npm, but frontend is not on the proxy's network (app); add it to the "
        "service's networks",
    ),
    _case(
        "route-across-hosts",
        [add_droplet(), put("services", "frontend", "machine", value="edge")],
        "platform:services.frontend.expose[0]: route app.example.com/: the proxy npm "
        "runs on proxy and frontend on edge; a proxy reaches services on its own "
        "engine, or on guests of the same Proxmox host",
    ),
    _case(
        "route-without-proxy",
        drop("proxy"),
        "platform:services.livekit.expose[2]: route livekit.example.com/ needs a "
        "proxy; declare platform:proxy with the service that terminates "
        "HTTPS\nplatform:services.backend.expose[0]: route app.example.com/api needs "
        "a proxy; declare platform:proxy with the service that terminates "
        "HTTPS\nplatform:services.frontend.expose[0]: route app.example.com/ needs a "
        "proxy; declare platform:proxy with the service that terminates HTTPS",
    ),
    _case(
        "proxy-unknown",
        put("proxy", "service", value="nginx"),
        "platform:proxy.service: nginx is not a service; known services: agents, "
        "backend, egress, frontend, livekit, npm, redis",
    ),
    _case(
        "proxy-network-not-its",
        put("proxy", "network", value="web"),
        "platform:proxy.network: web is not one of the networks of npm (app)",
    ),
    _case(
        "database-forward",
        forward("redis", "tcp", 6380),
        "platform:services.redis.expose[1]: forward tcp 6380 would open redis:7.4.2 "
        "(Redis) to the internet; a database stays internal: reach it over a "
        "network, or a private exposure between guests",
    ),
    _case(
        "same-port-one-machine",
        private("redis", "tcp", 7881),
        "platform:services.redis.expose[1]: tcp 7881 is already held on livekit by "
        "platform:services.livekit; two services cannot publish the same port on one "
        "machine",
    ),
    _case(
        "overlapping-forwards",
        forward("backend", "udp", "59990-60010"),
        "platform:services.backend.expose[1]: udp 59990-60010 is already forwarded "
        "on host ax102 to platform:services.livekit; each public port goes to one "
        "service",
    ),
    _case(
        "reserved-22",
        forward("npm", "tcp", 22),
        "platform:services.npm.expose[0]: 22 is reserved: the host needs tcp 22 for "
        "SSH to the Proxmox host; forward another port",
    ),
    _case(
        "reserved-8006",
        forward("npm", "tcp", 8006),
        "platform:services.npm.expose[0]: 8006 is reserved: the host needs tcp 8006 "
        "for the Proxmox web UI and API; forward another port",
    ),
    _case(
        "reserved-3128",
        forward("npm", "tcp", 3128),
        "platform:services.npm.expose[0]: 3128 is reserved: the host needs tcp 3128 "
        "for the Proxmox SPICE proxy; forward another port",
    ),
    _case(
        "reserved-range-22",
        forward("npm", "tcp", "20-25"),
        "platform:services.npm.expose[0]: 20-25 includes tcp 22, which the host "
        "needs for SSH to the Proxmox host; forward a range without 22",
    ),
    _case(
        "droplet-reserved-22",
        [
            add_droplet(),
            add_service(
                "web", machine="edge", expose=[{"kind": "forward", "protocol": "tcp", "ports": 22}]
            ),
        ],
        "platform:services.web.expose[0]: 22 is reserved: the host needs tcp 22 for "
        "SSH to the server; forward another port",
    ),
    _case(
        "unknown-network",
        put("services", "backend", "networks", value=["ap"]),
        "platform:services.backend.networks[0]: ap is not a network; known networks: app, "
        "monitoring",
    ),
    _case(
        "no-network",
        put("services", "backend", "networks", value=[]),
        "platform:services.backend.networks: is empty: a bridged service joins at "
        "least one network of platform:networks (app, monitoring)",
    ),
    _case(
        "host-network-with-networks",
        put("services", "livekit", "networks", value=["app"]),
        "platform:services.livekit.networks: app: a service with networkMode host "
        "joins no Docker network; remove the networks or use networkMode bridge",
    ),
    _case(
        "private-on-non-guest",
        [
            add_droplet(),
            add_service(
                "web",
                machine="edge",
                expose=[{"kind": "private", "protocol": "tcp", "ports": 8080}],
            ),
        ],
        "platform:services.web.expose[0]: private tcp 8080: a private exposure "
        "reaches other guests on a NAT bridge, and edge is not a guest; use a network",
    ),
    _case(
        "livekit-no-udp",
        drop("services", "livekit", "expose", 0),
        "platform:services.livekit.expose: has 0 udp and 1 tcp forwards; a LiveKit "
        "service forwards one udp range (its WebRTC media ports) and one tcp port "
        "(ICE/TCP), which its livekit.yaml announces",
    ),
    _case(
        "livekit-udp-single",
        put("services", "livekit", "expose", 0, "ports", value=50000),
        "platform:services.livekit.expose: has 1 udp and 1 tcp forwards; a LiveKit "
        "service forwards one udp range (its WebRTC media ports) and one tcp port "
        "(ICE/TCP), which its livekit.yaml announces",
    ),
    _case(
        "livekit-two-tcp",
        forward("livekit", "tcp", 7882),
        "platform:services.livekit.expose: has 1 udp and 2 tcp forwards; a LiveKit "
        "service forwards one udp range (its WebRTC media ports) and one tcp port "
        "(ICE/TCP), which its livekit.yaml announces",
    ),
    _case(
        "more-than-32-ports-via-docker",
        forward("backend", "udp", "40000-41000"),
        "platform:services.backend.expose[1].ports: 40000-41000 makes backend publish 1002 "
        "ports through Docker, at most 32: each is a binding and a docker-proxy process of its "
        "own; use networkMode host for a media range this wide, or a narrower range",
    ),
    _case(
        "image-latest",
        put("services", "backend", "image", value="ghcr.io/example/backend:latest"),
        "platform:services.backend.image: ghcr.io/example/backend:latest uses the "
        "tag latest, which moves: pin a version such as postgres:16.4 or a digest "
        "@sha256:...",
    ),
    _case(
        "image-no-tag",
        put("services", "backend", "image", value="ghcr.io/example/backend"),
        "platform:services.backend.image: ghcr.io/example/backend has no tag: pin a "
        "version such as postgres:16.4 or a digest @sha256:...",
    ),
    _case(
        "image-bad-digest",
        put("services", "backend", "image", value="ghcr.io/example/backend@sha256:abc"),
        "platform:services.backend.image: ghcr.io/example/backend@sha256:abc has a "
        "malformed digest; use @sha256: and 64 hex digits",
    ),
    _case(
        "image-upper",
        put("services", "backend", "image", value="GHCR.io/Example/backend:1"),
        "platform:services.backend.image: GHCR.io/Example/backend:1 is not an image "
        "reference: lower-case [registry/]repository:tag or "
        "repository@sha256:<digest>",
    ),
    _case(
        "volume-twice",
        append("services", "redis", "volumes", value={"name": "redis-data", "path": "/backup"}),
        "platform:services.redis.volumes[1].name: redis-data is mounted twice by "
        "this service; mount each volume once",
    ),
    _case(
        "volume-twice-host-network",
        put(
            "services",
            "livekit",
            "volumes",
            value=[{"name": "lk-data", "path": "/data"}, {"name": "lk-data", "path": "/b"}],
        ),
        "platform:services.livekit.volumes[1].name: lk-data is mounted twice by this service; "
        "mount each volume once",
    ),
    _case(
        "exception-bad-rule",
        put("services", "egress", "policyExceptions", "No_Caps", value="because"),
        "platform:services.egress.policyExceptions.No_Caps: No_Caps is not a policy "
        "rule name: lower-case words joined by hyphens, as listed in "
        "policies/README.md",
    ),
    _case(
        "exception-no-reason",
        put(
            "services",
            "egress",
            "policyExceptions",
            "docker-container-no-risky-capabilities",
            value="  ",
        ),
        "platform:services.egress.policyExceptions.docker-container-no-risky-capabilities: "
        "has no reason; say why the service needs the exception",
    ),
    _case(
        "service-unknown-key",
        put("services", "backend", "memory", value=4096),
        "platform:services.backend.memory: is not a known key; allowed keys: app, "
        "binds, capAdd, command, entrypoint, env, expose, healthcheck, image, listen, machine, "
        "networkMode, networks, policyExceptions, resources, stateful, stopGraceSeconds, "
        "stopSignal, user, volumes",
    ),
    _case(
        "missing-image",
        drop("services", "backend", "image"),
        "platform:services.backend.image: is required: Image with a pinned tag or "
        "digest (never latest).",
    ),
    _case(
        "expose-unknown-kind",
        append("services", "backend", "expose", value={"kind": "tunnel", "port": 1}),
        "platform:services.backend.expose[1].kind: tunnel is not a known kind; "
        "allowed kinds: route, forward, private",
    ),
    _case(
        "route-bad-host",
        put("services", "backend", "expose", 0, "host", value="App.Example.com"),
        "platform:services.backend.expose[0].host: App.Example.com is not a fully "
        "qualified domain name: lower-case labels of letters, digits and hyphens "
        "separated by dots, such as app.example.com",
    ),
    _case(
        "network-duplicate-dockername",
        put("networks", "web", value={"dockerName": "app"}),
        "platform:networks.web.dockerName: app is already the dockerName of "
        "platform:networks.app; each network needs its own dockerName",
    ),
    _case(
        "network-overlap",
        [
            put("networks", "app", "subnet", value="172.30.0.0/16"),
            put("networks", "web", value={"subnet": "172.30.1.0/24"}),
        ],
        "platform:networks.web.subnet: 172.30.1.0/24 overlaps 172.30.0.0/16 of "
        "platform:networks.app; Docker refuses overlapping pools",
    ),
    # ports
    _case(
        "ports-reversed",
        put("services", "livekit", "expose", 0, "ports", value="60000-50000"),
        "platform:services.livekit.expose[0].ports: 60000-50000 is reversed: write "
        "the range low-high, as 50000-60000",
    ),
    _case(
        "port-zero",
        forward("npm", "tcp", 0),
        "platform:services.npm.expose[0].ports: 0 is out of range: ports are 1-65535",
    ),
    _case(
        "port-65536",
        forward("npm", "tcp", 65536),
        "platform:services.npm.expose[0].ports: 65536 is out of range: ports are 1-65535",
    ),
    _case(
        "ports-abc",
        forward("npm", "tcp", "abc"),
        "platform:services.npm.expose[0].ports: abc is not a port 1-65535 such as "
        "443, or a range low-high such as 50000-60000",
    ),
    _case(
        "ports-bool",
        forward("npm", "tcp", True),
        "platform:services.npm.expose[0].ports: true is not a port 1-65535 such as "
        "443, or a range low-high such as 50000-60000",
    ),
    _case(
        "ports-object-reversed",
        forward("npm", "tcp", {"start": 90, "end": 80}),
        'platform:services.npm.expose[0].ports: {"start": 90, "end": 80} is '
        "reversed: write the range low-high, as 80-90",
    ),
    # secrets
    _case(
        "missing-host-secret",
        drop(SECRETS, "ax102", "apiToken"),
        "platform:secrets.ax102.apiToken: is required (Proxmox API token, "
        "USER@REALM!TOKENID=UUID) by the proxmox host ax102; set it with `pulumi "
        "config set --secret --path 'platform:secrets.ax102.apiToken' <value>`",
    ),
    _case(
        "unknown-secret-ref",
        put("services", "redis", "env", "REDIS_PASSWORD", value={"secret": "redis.pasword"}),
        "platform:services.redis.env.REDIS_PASSWORD.secret: redis.pasword is not "
        "under platform:secrets; set it with `pulumi config set --secret --path "
        "'platform:secrets.redis.pasword' <value>`",
    ),
    _case(
        "unknown-livekit-secret-ref",
        put("services", "livekit", "app", "apiKey", value={"secret": "livekit.key"}),
        "platform:services.livekit.app.apiKey.secret: livekit.key is not under "
        "platform:secrets; set it with `pulumi config set --secret --path "
        "'platform:secrets.livekit.key' <value>`",
    ),
    _case(
        "secret-leaf-number",
        put(SECRETS, "redis", "port", value=6379),
        "platform:secrets.redis.port: is not a secret value: platform:secrets holds "
        "nested objects whose leaves are encrypted strings",
    ),
    _case(
        "droplet-missing-secret",
        [add_droplet(), drop(SECRETS, "edge")],
        "platform:secrets.edge.sshPrivateKey: is required (private key (OpenSSH) the "
        "program uses to reach the host over SSH) by the droplet host edge; set it "
        "with `pulumi config set --secret --path "
        "'platform:secrets.edge.sshPrivateKey' <value>`",
    ),
]


@pytest.mark.parametrize(("mutations", "expected"), RULES)
def test_rule(mutations: list[Mutation], expected: str) -> None:
    assert error_text(doc(*mutations)) == expected


def test_missing_hosts_is_reported_with_what_depends_on_it() -> None:
    lines = error_text(doc(drop("hosts"))).splitlines()
    assert lines == [
        "platform:hosts: is required: Hosts by name: kind proxmox, droplet, hcloud or ssh.",
        *(
            f"platform:guests.{guest}.host: ax102 is not a host; guests run on a Proxmox host: "
            "none declared"
            for guest in BASELINE["guests"]
        ),
    ]


@pytest.mark.parametrize(
    "mutations",
    [
        pytest.param([forward("backend", "tcp", "50000-50020")], id="tcp-range-next-to-udp"),
        pytest.param([forward("npm", "udp", 22)], id="udp-22"),
        pytest.param([forward("npm", "udp", 8006)], id="udp-8006"),
        pytest.param([forward("npm", "tcp", "8000-8005")], id="tcp-range-just-below-8006"),
        pytest.param([forward("npm", "tcp", "8007-8030")], id="tcp-range-just-above-8006"),
        pytest.param([forward("npm", "tcp", 23)], id="tcp-23"),
        pytest.param([forward("npm", "tcp", "8443-8443")], id="80-80"),
        pytest.param([forward("npm", "tcp", "8443")], id="port-text"),
        # With its route's tcp 8000, 32 ports: the most a service publishes through Docker.
        pytest.param([forward("backend", "udp", "40000-40030")], id="32-ports-via-docker"),
        pytest.param(
            [put("services", "agents", "expose", value=[{"kind": "private", "ports": 7881}])],
            id="same-port-other-machine",
        ),
        pytest.param(
            [
                put(
                    "services",
                    "backend",
                    "image",
                    value="ghcr.io/example/backend@sha256:" + "a" * 64,
                )
            ],
            id="digest",
        ),
        pytest.param(
            [put("services", "frontend", "machine", value="proxy")], id="route-on-the-proxy-engine"
        ),
        pytest.param(
            [drop("hosts", "ax102", "sshHostKey"), put("services", value={}), drop("proxy")],
            id="no-host-key-without-engines",
        ),
        pytest.param([add_droplet(), add_service("web", machine="edge")], id="a-second-host"),
    ],
)
def test_allowed(mutations: list[Mutation]) -> None:
    parse(doc(*mutations))


def test_a_droplet_stack_never_asks_for_a_proxmox_token() -> None:
    document = {
        "hosts": {
            "edge": {
                "kind": "droplet",
                "region": "fra1",
                "size": "s-2vcpu-4gb",
                "sshAllowedFrom": ["198.51.100.0/24"],
            }
        },
        "networks": {"app": {}},
        "services": {"web": {"machine": "edge", "image": "nginx:1.27.3", "networks": ["app"]}},
        "adminSshKeys": [DROPLET_KEY],
        SECRETS: {"edge": {"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\n"}},
    }
    spec = parse(document)
    assert spec.machines() == ["edge"]
    del document[SECRETS]["edge"]
    assert error_text(document) == (
        "platform:secrets.edge.sshPrivateKey: is required (private key (OpenSSH) the program "
        "uses to reach the host over SSH) by the droplet host edge; set it with `pulumi config "
        "set --secret --path 'platform:secrets.edge.sshPrivateKey' <value>`"
    )


def test_a_droplet_needs_admin_keys() -> None:
    document = doc(add_droplet(), put("adminSshKeys", value=[]))
    assert error_text(document) == (
        "platform:adminSshKeys: is empty, but the servers edge are created with SSH key login "
        "only; add at least one SSH public key"
    )


def test_every_problem_at_once_field_and_cross_field() -> None:
    document = doc(
        # Field errors: each entry fails its own validation, in one field.
        put("guests", "monitoring", "address", value="banana"),
        forward("npm", "tcp", "abc"),
        put("hosts", "ax102", "sshUsr", value="admin"),
        # Cross-field errors, found on the fields that are valid on their own.
        put("guests", "livekit", "vmId", value=102),
        put("services", "backend", "machine", value="backnd"),
        forward("redis", "tcp", 6380),
        # A secret reference to nothing.
        put("services", "redis", "env", "REDIS_PASSWORD", value={"secret": "redis.pasword"}),
    )
    assert error_text(document).splitlines() == [
        "platform:hosts.ax102.sshUsr: is not a known key; allowed keys: apiCaBundle, apiEndpoint, "
        "containerDatastore, dnsServers, guestManagementPorts, insecureTls, kind, "
        "mergeDataIntoRoot, natBridge, nodeName, publicAddress, sshAddress, sshHostKey, sshUser, "
        "template, uplinkBridge, volumeGroup",
        "platform:guests.monitoring.address: banana is not a valid IPv4 address; use "
        "dotted-decimal form without a prefix, such as 10.0.0.2",
        f"platform:services.npm.expose[0].ports: abc {PORT_SYNTAX}",
        # Checked although their host failed its own validation.
        "platform:guests.livekit.vmId: 102 is already the vmId of platform:guests.proxy on host "
        "ax102; each guest needs its own vmId",
        "platform:services.redis.expose[1]: forward tcp 6380 would open redis:7.4.2 (Redis) to "
        "the internet; a database stays internal: reach it over a network, or a private "
        "exposure between guests",
        # monitoring failed only in its address: it is still a guest, offered as a machine.
        "platform:services.backend.machine: backnd is not a host or guest; known: agents, "
        "backend, egress, frontend, livekit, monitoring, proxy",
        "platform:services.redis.env.REDIS_PASSWORD.secret: redis.pasword is not under "
        "platform:secrets; set it with `pulumi config set --secret --path "
        "'platform:secrets.redis.pasword' <value>`",
    ]


@pytest.mark.parametrize("address", ["10.0.0.1/31", "10.0.0.1/32"])
def test_nat_bridge_too_small(address: str) -> None:
    lines = error_text(doc(put("hosts", "ax102", "natBridge", "address", value=address)))
    assert [line for line in lines.splitlines() if "natBridge" in line] == [
        f"platform:hosts.ax102.natBridge.address: {address} leaves no room for guests; use /30 "
        "or wider"
    ]


@pytest.mark.parametrize("address", ["203.0.113.1/24", "127.0.0.1/24", "169.254.0.1/24"])
def test_nat_subnet_must_be_rfc1918_not_merely_reserved(address: str) -> None:
    lines = error_text(doc(put("hosts", "ax102", "natBridge", "address", value=address)))
    subnet = address.rsplit(".", 1)[0] + ".0/24"
    assert (
        f"platform:hosts.ax102.natBridge.address: {subnet} is not a private network; use an "
        "RFC 1918 range such as 10.0.0.0/24"
    ) in lines.splitlines()


# --- secrets ------------------------------------------------------------------------------------


def test_a_plaintext_secret_leaf() -> None:
    stored = leaves(SECRET_VALUES) - {"redis.password"}
    assert error_text(DOCUMENT, secret_leaves=stored) == (
        "platform:secrets.redis.password: is stored in plaintext; store secrets encrypted with "
        "`pulumi config set --secret --path 'platform:secrets.redis.password' <value>`"
    )


def test_secrets_all_in_plaintext() -> None:
    assert error_text(DOCUMENT, secret_keys=frozenset()) == (
        "platform:secrets: is stored in plaintext; store secrets encrypted with "
        "`pulumi config set --secret --path 'platform:secrets' <value>`"
    )


def test_every_required_host_secret() -> None:
    assert error_text(doc(put(SECRETS, "ax102", value={}))).splitlines() == [
        "platform:secrets.ax102.apiToken: is required (Proxmox API token, "
        "USER@REALM!TOKENID=UUID) by the proxmox host ax102; set it with `pulumi config set "
        "--secret --path 'platform:secrets.ax102.apiToken' <value>`",
        "platform:secrets.ax102.sshPrivateKey: is required (private key (OpenSSH) for SSH to the "
        "Proxmox host) by the proxmox host ax102; set it with `pulumi config set --secret --path "
        "'platform:secrets.ax102.sshPrivateKey' <value>`",
    ]


DISTINCTIVE = "root@pam!pulumi=SECRET-7f3a9c1e-do-not-print"


@pytest.mark.parametrize(
    "mutations",
    [
        pytest.param([put(SECRETS, "ax102", "apiToken", value=DISTINCTIVE)], id="a-leaf"),
        pytest.param([put(SECRETS, "ax102", "apiTokn", value=DISTINCTIVE)], id="misspelt-leaf"),
        pytest.param([put(SECRETS, "redis", "password", value=[DISTINCTIVE])], id="not-a-string"),
        pytest.param(
            [put(SECRETS, "redis", "password", value={"nested": DISTINCTIVE})], id="nested"
        ),
    ],
)
def test_secret_value_never_in_errors(mutations: list[Mutation]) -> None:
    document = doc(
        *mutations,
        put("guests", "monitoring", "address", value="banana"),
        put("services", "backend", "machine", value="backnd"),
    )
    for stored in (None, frozenset()):  # stored encrypted, then a plaintext leaf
        with pytest.raises(SpecError) as caught:
            parse(document, secret_leaves=stored)
        error = caught.value
        assert "platform:guests.monitoring.address: banana" in str(error)
        assert "platform:services.backend.machine: backnd" in str(error)
        for text in (
            str(error),
            repr(error),
            *map(str, error.problems),
            *map(repr, error.problems),
        ):
            assert "SECRET-7f3a9c1e" not in text


# --- PortRange ----------------------------------------------------------------------------------

RNG = random.Random(20240601)
SAMPLE_PORTS = sorted({1, 2, 22, 80, 443, 8006, 65534, 65535, *RNG.sample(range(1, 65536), 40)})
SAMPLE_RANGES = sorted(
    {
        (1, 65535),
        (50000, 60000),
        (80, 80),
        *(tuple(sorted(RNG.sample(range(1, 65536), 2))) for _ in range(40)),
    }
)


def port_range(value: Any) -> PortRange:
    return PortRange.model_validate(value)


@pytest.mark.parametrize("port", SAMPLE_PORTS)
def test_single_port_int_and_str_forms_agree(port: int) -> None:
    for form in (port, str(port), f" {port} ", f"{port}-{port}"):
        parsed = port_range(form)
        assert (parsed.start, parsed.end) == (port, port)
        assert str(parsed) == str(port)
    assert port in port_range(port)
    assert port - 1 not in port_range(port)
    assert port + 1 not in port_range(port)


@pytest.mark.parametrize(("low", "high"), SAMPLE_RANGES)
def test_range_round_trips(low: int, high: int) -> None:
    parsed = port_range(f"{low}-{high}")
    assert (parsed.start, parsed.end) == (low, high)
    assert str(parsed) == (str(low) if low == high else f"{low}-{high}")
    assert port_range(str(parsed)) == parsed
    assert port_range(parsed) is parsed
    assert port_range(parsed.model_dump()) == parsed


@pytest.mark.parametrize(("low", "high"), SAMPLE_RANGES)
def test_contains_is_inclusive(low: int, high: int) -> None:
    parsed = port_range(f"{low}-{high}")
    for port in (low, high, (low + high) // 2):
        assert port in parsed
    for port in (low - 1, high + 1, 0, 65536):
        assert port not in parsed
    assert str(low) not in parsed
    assert float(low) not in parsed


def test_overlaps_matches_brute_force() -> None:
    ranges = [(a, b) for a, b in itertools.combinations_with_replacement(range(1, 9), 2)]
    for (a, b), (c, d) in itertools.product(ranges, repeat=2):
        first, second = port_range(f"{a}-{b}"), port_range(f"{c}-{d}")
        shared = set(range(a, b + 1)) & set(range(c, d + 1))
        assert first.overlaps(second) is bool(shared), (first, second)
        assert second.overlaps(first) is first.overlaps(second)
        assert all(port in first and port in second for port in shared)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("60000-50000", "is reversed: write the range low-high, as 50000-60000"),
        (0, "is out of range: ports are 1-65535"),
        (65536, "is out of range: ports are 1-65535"),
        ("70000-70001", "is out of range: ports are 1-65535"),
        ("0-80", "is out of range: ports are 1-65535"),
        (-80, PORT_SYNTAX),
        ("abc", PORT_SYNTAX),
        ("80-", PORT_SYNTAX),
        ("-80", PORT_SYNTAX),
        ("80-90-100", PORT_SYNTAX),
        ("80 - 90", PORT_SYNTAX),
        ("", PORT_SYNTAX),
        (1.5, PORT_SYNTAX),
        (80.0, PORT_SYNTAX),
        (True, PORT_SYNTAX),
        (None, PORT_SYNTAX),
        ([80], PORT_SYNTAX),
        ("\u0662\u0662", PORT_SYNTAX),  # Arabic-Indic digits: not ASCII
        ({"start": 80}, PORT_SYNTAX),
        ({"start": "80", "end": "90"}, PORT_SYNTAX),
        ({"start": 90, "end": 80}, "is reversed: write the range low-high, as 80-90"),
    ],
)
def test_invalid_port_ranges(value: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        port_range(value)
    [error] = caught.value.errors()
    assert error["type"] == "port_range"
    assert error["msg"] == message


AUTH = ("services", "backend", "expose", 0, "auth")
ADMIN_NETWORKS = {"allowFrom": ["198.51.100.0/24"]}
ADMIN_USER = {"users": [{"username": "ops", "password": {"secret": "redis.password"}}]}


def test_route_authentication_a_proxy_does_not_apply_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A kind that configures basic auth but not source networks (every registered kind now
    # applies both): a route asking for allowFrom would be served to everyone, so the spec
    # refuses it rather than ignore it. Plain Nginx, whose routes need no other setting.
    monkeypatch.setattr(nginx_kind, "AUTH", frozenset({"users"}))
    document = mutated(
        DOCUMENT,
        put("proxy", value={"service": "npm", "kind": "nginx"}),
        put(*AUTH, value=ADMIN_NETWORKS),
    )
    assert error_text(document) == (
        "platform:services.backend.expose[0].auth.allowFrom: route app.example.com/api: the "
        "nginx proxy does not apply allowFrom yet (it applies: users); the route would be open "
        "to everyone, so it is refused"
    )


def test_route_authentication_names_someone() -> None:
    document = mutated(DOCUMENT, put(*AUTH, value={}))
    assert error_text(document) == (
        "platform:services.backend.expose[0].auth: {} names no users and no allowFrom "
        "networks: give at least one"
    )


def test_route_user_passwords_are_secrets_that_exist() -> None:
    user = {"username": "ops", "password": {"secret": "panel.password"}}
    document = mutated(DOCUMENT, put(*AUTH, value={"users": [user]}))
    assert (
        "platform:services.backend.expose[0].auth.users[0].password.secret: panel.password "
        "is not under platform:secrets"
    ) in error_text(document)


def test_basic_auth_in_front_of_an_app_that_reads_the_authorization_header_is_refused() -> None:
    document = mutated(
        DOCUMENT,
        put("services", "backend", "image", value="portainer/portainer-ce:2.21.4"),
        put(*AUTH, value=ADMIN_USER),
    )
    assert (
        "platform:services.backend.expose[0].auth.users: route app.example.com/api: Portainer "
        "reads the Authorization header itself, so basic auth at the proxy breaks its login; "
        "protect it with allowFrom (source networks) instead"
    ) in error_text(document).splitlines()
