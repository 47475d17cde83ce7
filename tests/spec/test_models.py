"""The ``platform`` config spec: one valid baseline, then one mutation per rule.

Pure pydantic: no Pulumi runtime. Every assertion compares the exact text an operator reads,
``platform:<path>: <value> <problem>; <what is allowed>``, one line per problem.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from collections.abc import Callable, Iterable, Set
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from components.spec import SECRET_KEYS, PlatformSpec, PortRange, SpecError, parse_platform

ROOT = Path(__file__).resolve().parents[2]

# A copy of the `platform:` namespace of Pulumi.prod.yaml (test_baseline_is_prod keeps it so).
BASELINE: dict[str, Any] = {
    "host": {
        "name": "ax102",
        "nodeName": "ax102",
        "apiEndpoint": "https://ax102.example.com:8006/",
        "publicAddress": "203.0.113.10",
        "uplinkBridge": "vmbr0",
        "mergeDataIntoRoot": True,
        "containerDatastore": "local",
        "template": {
            "url": "https://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst",
            "checksumAlgorithm": "sha512",
            "checksum": "50c85eaaece677a3ebe01cc909b83872e9da2a22c29ae652838afce71e83222f"
            "df40f6accecd7d52b180e912fc1f85ecdf7b3fc4d3027da4d865e509a9e76597",
            "datastore": "local",
            "osType": "debian",
        },
    },
    "natBridge": {"name": "vmbr1", "address": "10.0.0.1/24"},
    "services": {
        "proxy": {
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
            "description": "LiveKit SFU - WebRTC video and audio",
            "vmId": 110,
            "address": "10.0.0.10",
            "cores": 8,
            "memoryMb": 16384,
            "diskGb": 32,
            "startOrder": 2,
        },
        "egress": {
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
            "description": "LiveKit Agents - AI and signal processing",
            "vmId": 112,
            "address": "10.0.0.12",
            "cores": 4,
            "memoryMb": 8192,
            "diskGb": 32,
            "startOrder": 3,
        },
        "backend": {
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
            "description": "Frontend - web user interface",
            "vmId": 114,
            "address": "10.0.0.14",
            "cores": 2,
            "memoryMb": 2048,
            "diskGb": 16,
            "startOrder": 5,
        },
        "monitoring": {
            "description": "Monitoring - metrics and server health",
            "vmId": 115,
            "address": "10.0.0.15",
            "cores": 2,
            "memoryMb": 4096,
            "diskGb": 100,
            "startOrder": 6,
            "stateful": True,
        },
    },
    "forwards": [
        {
            "description": "HTTP to the proxy (ACME challenges, redirect to HTTPS)",
            "protocol": "tcp",
            "ports": 80,
            "to": "proxy",
        },
        {
            "description": "HTTPS to the proxy (TLS termination)",
            "protocol": "tcp",
            "ports": 443,
            "to": "proxy",
        },
        {
            "description": "WebRTC media straight to LiveKit, never through the proxy",
            "protocol": "udp",
            "ports": "50000-60000",
            "to": "livekit",
        },
        {
            "description": "LiveKit ICE/TCP fallback for clients that cannot use UDP",
            "protocol": "tcp",
            "ports": 7881,
            "to": "livekit",
        },
    ],
    "containerSshKeys": [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE"
        " ops@example.com"
    ],
}

SECRETS = {
    "proxmoxApiToken": "root@pam!pulumi=00000000-0000-0000-0000-000000000000",
    "sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
}
ALL_SECRET = frozenset(SECRETS)

Mutation = Callable[[dict[str, Any]], object]


def config_values(
    document: dict[str, Any], secrets: dict[str, str] | None = None
) -> dict[str, str]:
    """Raw config as Pulumi hands it to a program: objects and lists as JSON, secrets as text."""
    values = {key: json.dumps(value) for key, value in document.items()}
    values.update(SECRETS if secrets is None else secrets)
    return values


def parse(
    document: dict[str, Any],
    secrets: dict[str, str] | None = None,
    secret_keys: Set[str] = ALL_SECRET,
) -> PlatformSpec:
    return parse_platform(config_values(document, secrets), secret_keys)


def error_text(
    document: dict[str, Any],
    secrets: dict[str, str] | None = None,
    secret_keys: Set[str] = ALL_SECRET,
) -> str:
    with pytest.raises(SpecError) as caught:
        parse(document, secrets, secret_keys)
    return str(caught.value)


def mutated(*mutations: Mutation) -> dict[str, Any]:
    document = copy.deepcopy(BASELINE)
    for mutation in mutations:
        mutation(document)
    return document


def put(*path: str | int, value: Any) -> Mutation:
    """Set ``value`` at ``path``, e.g. put("services", "livekit", "address", value="10.0.0.2")."""

    def apply(document: dict[str, Any]) -> None:
        target: Any = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return apply


def drop(*path: str | int) -> Mutation:
    def apply(document: dict[str, Any]) -> None:
        target: Any = document
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return apply


def forward(protocol: str, ports: Any, to: str) -> Mutation:
    """Append a forward; it becomes platform:forwards[4] (prod has four)."""

    def apply(document: dict[str, Any]) -> None:
        document["forwards"].append({"protocol": protocol, "ports": ports, "to": to})

    return apply


def rename_service(old: str, new: str) -> Mutation:
    def apply(document: dict[str, Any]) -> None:
        document["services"][new] = document["services"].pop(old)

    return apply


def move_subnet(old_prefix: str, new_prefix: str) -> Mutation:
    """Re-address the bridge and every service, e.g. from 10.0.0. to 8.8.8."""

    def apply(document: dict[str, Any]) -> None:
        bridge = document["natBridge"]
        bridge["address"] = bridge["address"].replace(old_prefix, new_prefix, 1)
        for service in document["services"].values():
            service["address"] = service["address"].replace(old_prefix, new_prefix, 1)

    return apply


PORT_SYNTAX = "is not a port 1-65535 such as 443, or a range low-high such as 50000-60000"
SERVICE_KEYS = (
    "address, cores, description, diskGb, hostname, memoryMb, startOrder, stateful, swapMb, vmId"
)
HOST_KEYS = (
    "apiCaBundle, apiEndpoint, containerDatastore, dnsServers, guestManagementPorts, "
    "insecureTls, mergeDataIntoRoot, name, nodeName, publicAddress, sshAddress, sshHostKey, "
    "sshUser, template, uplinkBridge, volumeGroup"
)
KNOWN_SERVICES = "agents, backend, egress, frontend, livekit, monitoring, proxy"


# --- the baseline -------------------------------------------------------------------------------


def test_baseline_is_prod() -> None:
    stack = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    prod = {
        key.removeprefix("platform:"): value
        for key, value in stack.items()
        if key.startswith("platform:") and key.removeprefix("platform:") not in SECRET_KEYS
    }
    assert prod == BASELINE
    stored_encrypted = {
        key.removeprefix("platform:")
        for key, value in stack.items()
        if isinstance(value, dict) and set(value) == {"secure"}
    }
    assert stored_encrypted == set(SECRET_KEYS)


def test_baseline_parses() -> None:
    spec = parse(BASELINE)
    assert spec.host.name == "ax102"
    assert str(spec.natBridge.subnet) == "10.0.0.0/24"
    assert str(spec.natBridge.gateway) == "10.0.0.1"
    assert list(spec.services) == list(BASELINE["services"])
    assert [str(f.ports) for f in spec.forwards] == ["80", "443", "50000-60000", "7881"]
    assert spec.hostname_of("livekit") == "livekit"


def test_secrets_are_not_part_of_the_spec() -> None:
    dumped = parse(BASELINE).model_dump_json()
    for value in SECRETS.values():
        assert value not in dumped


# --- one mutation per rule ----------------------------------------------------------------------


def _case(id_: str, mutations: Mutation | Iterable[Mutation], expected: str) -> Any:
    listed = [mutations] if callable(mutations) else list(mutations)
    return pytest.param(listed, expected, id=id_)


RULES = [
    # Uniqueness across services.
    _case(
        "duplicate-address",
        put("services", "livekit", "address", value="10.0.0.2"),
        "platform:services.livekit.address: 10.0.0.2 is already the address of "
        "platform:services.proxy; each service needs its own address in 10.0.0.0/24",
    ),
    _case(
        "duplicate-vmid",
        put("services", "livekit", "vmId", value=102),
        "platform:services.livekit.vmId: 102 is already the vmId of platform:services.proxy; "
        "each service needs its own vmId",
    ),
    _case(
        "hostname-equals-other-service-name",
        put("services", "livekit", "hostname", value="proxy"),
        "platform:services.livekit.hostname: proxy is already the hostname of "
        "platform:services.proxy (its service name); each service needs its own hostname",
    ),
    _case(
        "two-equal-explicit-hostnames",
        [
            put("services", "livekit", "hostname", value="media"),
            put("services", "egress", "hostname", value="media"),
        ],
        "platform:services.egress.hostname: media is already the hostname of "
        "platform:services.livekit; each service needs its own hostname",
    ),
    _case(
        "service-name-equals-earlier-explicit-hostname",
        put("services", "proxy", "hostname", value="livekit"),
        "platform:services.livekit.hostname: livekit (the service name) is already the hostname "
        "of platform:services.proxy; each service needs its own hostname",
    ),
    # Service addresses inside the NAT subnet.
    _case(
        "address-outside-subnet",
        put("services", "livekit", "address", value="10.0.1.10"),
        "platform:services.livekit.address: 10.0.1.10 is outside the NAT bridge subnet 10.0.0.0/24",
    ),
    _case(
        "address-is-gateway",
        put("services", "livekit", "address", value="10.0.0.1"),
        "platform:services.livekit.address: 10.0.0.1 is the NAT bridge gateway; pick another "
        "address in 10.0.0.0/24",
    ),
    _case(
        "address-is-network",
        put("services", "livekit", "address", value="10.0.0.0"),
        "platform:services.livekit.address: 10.0.0.0 is the network address of 10.0.0.0/24; "
        "pick a host address between 10.0.0.1 and 10.0.0.254, other than the gateway 10.0.0.1",
    ),
    _case(
        "address-is-broadcast",
        put("services", "livekit", "address", value="10.0.0.255"),
        "platform:services.livekit.address: 10.0.0.255 is the broadcast address of 10.0.0.0/24; "
        "pick a host address between 10.0.0.1 and 10.0.0.254, other than the gateway 10.0.0.1",
    ),
    # Port syntax.
    _case(
        "ports-reversed",
        put("forwards", 2, "ports", value="60000-50000"),
        "platform:forwards[2].ports: 60000-50000 is reversed: write the range low-high, "
        "as 50000-60000",
    ),
    _case(
        "port-zero",
        put("forwards", 0, "ports", value=0),
        "platform:forwards[0].ports: 0 is out of range: ports are 1-65535",
    ),
    _case(
        "port-65536",
        put("forwards", 0, "ports", value=65536),
        "platform:forwards[0].ports: 65536 is out of range: ports are 1-65535",
    ),
    _case(
        "port-range-out-of-range",
        put("forwards", 2, "ports", value="70000-70001"),
        "platform:forwards[2].ports: 70000-70001 is out of range: ports are 1-65535",
    ),
    _case(
        "ports-abc",
        put("forwards", 0, "ports", value="abc"),
        f"platform:forwards[0].ports: abc {PORT_SYNTAX}",
    ),
    _case(
        "ports-open-range",
        put("forwards", 0, "ports", value="80-"),
        f"platform:forwards[0].ports: 80- {PORT_SYNTAX}",
    ),
    _case(
        "ports-float",
        put("forwards", 0, "ports", value=1.5),
        f"platform:forwards[0].ports: 1.5 {PORT_SYNTAX}",
    ),
    _case(
        "ports-bool",
        put("forwards", 0, "ports", value=True),
        f"platform:forwards[0].ports: true {PORT_SYNTAX}",
    ),
    _case(
        "ports-non-ascii-digit",
        put("forwards", 0, "ports", value="8\u00b2"),
        f"platform:forwards[0].ports: 8\u00b2 {PORT_SYNTAX}",
    ),
    _case(
        "ports-object-reversed",
        put("forwards", 0, "ports", value={"start": 90, "end": 80}),
        'platform:forwards[0].ports: {"start": 90, "end": 80} is reversed: write the range '
        "low-high, as 80-90",
    ),
    _case(
        "ports-object-out-of-range",
        put("forwards", 0, "ports", value={"start": 0, "end": 99999}),
        'platform:forwards[0].ports: {"start": 0, "end": 99999} is out of range: ports are 1-65535',
    ),
    # Forwards.
    _case(
        "forwards-overlap-same-protocol",
        forward("udp", "55000-61000", "livekit"),
        "platform:forwards[4].ports: udp 55000-61000 overlaps udp 50000-60000 of "
        "platform:forwards[2]; each public port goes to one service",
    ),
    _case(
        "forward-tcp-22",
        forward("tcp", 22, "proxy"),
        "platform:forwards[4].ports: 22 is reserved: the host needs tcp 22 for SSH to the "
        "Proxmox host; forward another port",
    ),
    _case(
        "forward-tcp-8006",
        forward("tcp", 8006, "proxy"),
        "platform:forwards[4].ports: 8006 is reserved: the host needs tcp 8006 for the Proxmox "
        "web UI and API; forward another port",
    ),
    _case(
        "forward-tcp-range-covering-22",
        forward("tcp", "20-25", "proxy"),
        "platform:forwards[4].ports: 20-25 includes tcp 22, which the host needs for SSH to the "
        "Proxmox host; forward a range without 22",
    ),
    _case(
        "forward-tcp-3128",
        forward("tcp", 3128, "proxy"),
        "platform:forwards[4].ports: 3128 is reserved: the host needs tcp 3128 for the Proxmox "
        "SPICE proxy; forward another port",
    ),
    _case(
        "forward-to-unknown-service",
        forward("tcp", 8443, "nope"),
        f"platform:forwards[4].to: nope is not a service; known services: {KNOWN_SERVICES}",
    ),
    # Unknown keys: a typo never falls back to a default.
    _case(
        "unknown-top-level-key",
        put("natbridge", value={"name": "vmbr1"}),
        "platform:natbridge: is not a known key; allowed keys: containerSshKeys, forwards, host, "
        "natBridge, proxmoxApiToken, services, sshPrivateKey",
    ),
    _case(
        "unknown-host-key",
        put("host", "publicAdress", value="203.0.113.10"),
        f"platform:host.publicAdress: is not a known key; allowed keys: {HOST_KEYS}",
    ),
    _case(
        "unknown-service-key",
        put("services", "livekit", "memory", value=4096),
        f"platform:services.livekit.memory: is not a known key; allowed keys: {SERVICE_KEYS}",
    ),
    _case(
        "unknown-forward-key",
        put("forwards", 1, "target", value="proxy"),
        "platform:forwards[1].target: is not a known key; allowed keys: description, ports, "
        "protocol, to",
    ),
    # Missing required keys.
    _case("missing-host", drop("host"), "platform:host: is required: The Proxmox VE node."),
    _case(
        "missing-nat-bridge",
        drop("natBridge"),
        "platform:natBridge: is required: The private routed-NAT bridge.",
    ),
    _case(
        "missing-services",
        drop("services"),
        "platform:services: is required: LXC services by name (lower-case, e.g. livekit).",
    ),
    _case(
        "missing-service-address",
        drop("services", "livekit", "address"),
        "platform:services.livekit.address: is required: Static address inside the NAT bridge "
        "subnet.",
    ),
    _case(
        "missing-forward-protocol",
        drop("forwards", 1, "protocol"),
        "platform:forwards[1].protocol: is required: Transport protocol: tcp or udp.",
    ),
    # The NAT bridge.
    _case(
        "nat-address-without-prefix",
        put("natBridge", "address", value="10.0.0.1"),
        "platform:natBridge.address: 10.0.0.1 is not a valid IPv4 address with prefix, "
        "such as 10.0.0.1/24",
    ),
    _case(
        "nat-address-octet-300",
        put("natBridge", "address", value="10.0.0.300/24"),
        "platform:natBridge.address: 10.0.0.300/24 is not a valid IPv4 address with prefix, "
        "such as 10.0.0.1/24",
    ),
    _case(
        "nat-address-banana",
        put("natBridge", "address", value="banana"),
        "platform:natBridge.address: banana is not a valid IPv4 address with prefix, "
        "such as 10.0.0.1/24",
    ),
    _case(
        "nat-address-is-network",
        put("natBridge", "address", value="10.0.0.0/24"),
        "platform:natBridge.address: 10.0.0.0/24 uses the network address of 10.0.0.0/24; "
        "use a host address such as 10.0.0.1/24",
    ),
    _case(
        "nat-subnet-public",
        move_subnet("10.0.0.", "8.8.8."),
        "platform:natBridge.address: 8.8.8.0/24 is not a private network; use an RFC 1918 "
        "range such as 10.0.0.0/24",
    ),
    _case(
        "nat-bridge-is-uplink",
        put("natBridge", "name", value="vmbr0"),
        "platform:natBridge.name: vmbr0 is the uplink bridge; the NAT bridge must be a separate "
        "bridge",
    ),
    _case(
        "public-address-inside-nat-subnet",
        put("host", "publicAddress", value="10.0.0.200"),
        "platform:host.publicAddress: 10.0.0.200 is inside the NAT bridge subnet 10.0.0.0/24; "
        "the public address must lie outside it: move platform:natBridge.address to another "
        "private range",
    ),
    # Service addresses and names.
    _case(
        "service-address-octet-300",
        put("services", "livekit", "address", value="10.0.0.300"),
        "platform:services.livekit.address: 10.0.0.300 is not a valid IPv4 address; use "
        "dotted-decimal form without a prefix, such as 10.0.0.2",
    ),
    _case(
        "service-address-with-prefix",
        put("services", "livekit", "address", value="10.0.0.10/24"),
        "platform:services.livekit.address: 10.0.0.10/24 is not a valid IPv4 address; use "
        "dotted-decimal form without a prefix, such as 10.0.0.2",
    ),
    _case(
        "service-address-banana",
        put("services", "livekit", "address", value="banana"),
        "platform:services.livekit.address: banana is not a valid IPv4 address; use "
        "dotted-decimal form without a prefix, such as 10.0.0.2",
    ),
    _case(
        "service-name-invalid",
        rename_service("monitoring", "Live_Kit"),
        "platform:services.Live_Kit: Live_Kit is not a valid service name: lower-case letter "
        "first, then lower-case letters, digits or hyphens, at most 31 characters",
    ),
    _case(
        "hostname-invalid",
        put("services", "livekit", "hostname", value="Live_Kit"),
        "platform:services.livekit.hostname: Live_Kit is not a valid hostname: 1-63 lower-case "
        "letters, digits and hyphens, not starting or ending with a hyphen",
    ),
    _case(
        "hostname-leading-hyphen",
        put("services", "livekit", "hostname", value="-livekit"),
        "platform:services.livekit.hostname: -livekit is not a valid hostname: 1-63 lower-case "
        "letters, digits and hyphens, not starting or ending with a hyphen",
    ),
]


@pytest.mark.parametrize(("mutations", "expected"), RULES)
def test_rule(mutations: list[Mutation], expected: str) -> None:
    assert error_text(mutated(*mutations)) == expected


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(forward("udp", 443, "proxy"), id="udp-443-next-to-tcp-443"),
        pytest.param(forward("tcp", "50000-60000", "livekit"), id="tcp-range-next-to-udp-range"),
        pytest.param(forward("udp", 22, "proxy"), id="udp-22"),
        pytest.param(forward("udp", 8006, "proxy"), id="udp-8006"),
        pytest.param(forward("tcp", "8000-8005", "proxy"), id="tcp-range-just-below-8006"),
        pytest.param(forward("tcp", "8007-8100", "proxy"), id="tcp-range-just-above-8006"),
        pytest.param(forward("tcp", 23, "proxy"), id="tcp-23"),
        pytest.param(put("forwards", 0, "ports", value="80-80"), id="range-of-one-port"),
        pytest.param(put("forwards", 0, "ports", value="80"), id="port-as-string"),
    ],
)
def test_allowed(mutation: Mutation) -> None:
    parse(mutated(mutation))


def test_allowed_forwards_are_kept() -> None:
    spec = parse(mutated(forward("udp", 443, "proxy"), forward("udp", 22, "proxy")))
    assert [(f.protocol, str(f.ports)) for f in spec.forwards[-3:]] == [
        ("tcp", "7881"),
        ("udp", "443"),
        ("udp", "22"),
    ]


def test_every_problem_is_reported_one_per_line() -> None:
    document = mutated(
        put("services", "livekit", "address", value="banana"),
        put("forwards", 0, "ports", value="abc"),
        put("host", "sshUsr", value="admin"),
    )
    assert error_text(document, secret_keys={"sshPrivateKey"}).splitlines() == [
        "platform:proxmoxApiToken: is stored in plaintext (Proxmox API token, "
        "USER@REALM!TOKENID=UUID); store it encrypted with "
        "`pulumi config set --secret platform:proxmoxApiToken <value>`",
        f"platform:host.sshUsr: is not a known key; allowed keys: {HOST_KEYS}",
        "platform:services.livekit.address: banana is not a valid IPv4 address; use "
        "dotted-decimal form without a prefix, such as 10.0.0.2",
        f"platform:forwards[0].ports: abc {PORT_SYNTAX}",
    ]


@pytest.mark.parametrize("address", ["10.0.0.1/31", "10.0.0.1/32"])
def test_nat_bridge_too_small(address: str) -> None:
    lines = error_text(mutated(put("natBridge", "address", value=address))).splitlines()
    assert [line for line in lines if line.startswith("platform:natBridge")] == [
        f"platform:natBridge.address: {address} leaves no room for guests; use /30 or wider"
    ]


# --- secrets ------------------------------------------------------------------------------------


def test_missing_secret() -> None:
    secrets = {"sshPrivateKey": SECRETS["sshPrivateKey"]}
    assert error_text(BASELINE, secrets) == (
        "platform:proxmoxApiToken: is required (Proxmox API token, USER@REALM!TOKENID=UUID); "
        "set it with `pulumi config set --secret platform:proxmoxApiToken <value>`"
    )


def test_both_secrets_missing() -> None:
    assert error_text(BASELINE, {}, frozenset()).splitlines() == [
        "platform:proxmoxApiToken: is required (Proxmox API token, USER@REALM!TOKENID=UUID); "
        "set it with `pulumi config set --secret platform:proxmoxApiToken <value>`",
        "platform:sshPrivateKey: is required (private key (OpenSSH PEM) for SSH to the Proxmox "
        "host); set it with `pulumi config set --secret platform:sshPrivateKey <value>`",
    ]


def test_plaintext_secret() -> None:
    assert error_text(BASELINE, secret_keys={"proxmoxApiToken"}) == (
        "platform:sshPrivateKey: is stored in plaintext (private key (OpenSSH PEM) for SSH to "
        "the Proxmox host); store it encrypted with "
        "`pulumi config set --secret platform:sshPrivateKey <value>`"
    )


DISTINCTIVE = "root@pam!pulumi=SECRET-7f3a9c1e-do-not-print"


@pytest.mark.parametrize(
    ("secrets", "secret_keys", "extra"),
    [
        pytest.param(
            {**SECRETS, "proxmoxApiToken": DISTINCTIVE}, ALL_SECRET, {}, id="stored-as-secret"
        ),
        pytest.param(
            {**SECRETS, "proxmoxApiToken": DISTINCTIVE},
            {"sshPrivateKey"},
            {},
            id="stored-in-plaintext",
        ),
        pytest.param(
            {**SECRETS, "sshPrivateKey": DISTINCTIVE},
            {"proxmoxApiToken"},
            {},
            id="key-in-plaintext",
        ),
        pytest.param(
            {**SECRETS, "proxmoxApiToken": json.dumps({"token": DISTINCTIVE})},
            ALL_SECRET,
            {},
            id="secret-holding-json",
        ),
        pytest.param(
            SECRETS,
            {*ALL_SECRET, "proxmoxApiTokn"},
            {"proxmoxApiTokn": DISTINCTIVE},
            id="misspelled-secret-key",
        ),
        pytest.param(
            SECRETS,
            {*ALL_SECRET, "host"},
            {"host": {**BASELINE["host"], "publicAddress": DISTINCTIVE}},
            id="secret-object-with-bad-field",
        ),
    ],
)
def test_secret_value_never_in_errors(
    secrets: dict[str, str], secret_keys: Set[str], extra: dict[str, Any]
) -> None:
    document = mutated(
        put("services", "livekit", "address", value="banana"),
        put("forwards", 0, "ports", value="abc"),
        put("host", "sshUsr", value="admin"),
    )
    document.update(copy.deepcopy(extra))
    with pytest.raises(SpecError) as caught:
        parse(document, secrets, secret_keys)
    error = caught.value
    assert "platform:services.livekit.address: banana" in str(error)
    for text in (str(error), repr(error), *map(str, error.problems), *map(repr, error.problems)):
        assert DISTINCTIVE not in text
        assert "SECRET-7f3a9c1e" not in text


def test_secret_object_field_shows_placeholder() -> None:
    document = mutated(put("host", "publicAddress", value=DISTINCTIVE))
    assert error_text(document, secret_keys={*ALL_SECRET, "host"}) == (
        "platform:host.publicAddress: [secret] is not a valid IPv4 address; use dotted-decimal "
        "form without a prefix, such as 10.0.0.2"
    )


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


@pytest.mark.parametrize("address", ["203.0.113.1/24", "127.0.0.1/24", "169.254.0.1/24"])
def test_nat_subnet_must_be_rfc1918_not_merely_reserved(address: str) -> None:
    lines = error_text(mutated(put("natBridge", "address", value=address))).splitlines()
    subnet = address.rsplit(".", 1)[0] + ".0/24"
    assert (
        f"platform:natBridge.address: {subnet} is not a private network; use an RFC 1918 "
        "range such as 10.0.0.0/24"
    ) in lines
