"""Helpers for the spec tests: the prod baseline as Pulumi hands it to a program, mutations,
and the error text an operator reads."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Set
from typing import Any

import pytest

from components.spec import PlatformSpec, SpecError, parse_platform
from tests.stacks import ed25519_public_key

SECRETS = "secrets"
Mutation = Callable[[dict[str, Any]], object]

# Placeholder values of platform:secrets; read_stack_config turns `secure:` values into text
# such as these, and the spec only checks that each leaf exists and was stored encrypted.
SECRET_VALUES: dict[str, Any] = {
    "ax102": {
        "apiToken": "root@pam!pulumi=00000000-0000-0000-0000-000000000000",
        "sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-ax102-private\n",
    },
    "livekit": {
        "apiKey": "APIkey-3f9a1c",
        "apiSecret": "api-secret-7d2e4b",
    },
    "redis": {"password": "redis-password-5e8f21"},
    "npm": {"adminPassword": "npm-admin-password-1", "bootstrapPassword": "npm-bootstrap-1"},
    "backups": {
        "password": "restic-password-1a2b3c",
        "offsitePassword": "restic-offsite-password-4d5e6f",
        "storageBoxKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-storage-box\n",
    },
    "monitoring": {
        "opsWebhookUrl": "https://hooks.example.com/alerts/token-1",
        "heartbeatUrl": "https://hc-ping.example.com/uuid-2",
        "grafanaAdminPassword": "grafana-admin-9c1d",
    },
}

DROPLET_KEY = ed25519_public_key("edge host", "")


def leaves(tree: Any, prefix: str = "") -> set[str]:
    """Dotted paths of the string leaves of a nested secrets object."""
    if isinstance(tree, dict):
        return {
            path
            for key, item in tree.items()
            for path in leaves(item, f"{prefix}.{key}" if prefix else str(key))
        }
    return {prefix}


def config_values(document: dict[str, Any]) -> dict[str, str]:
    """Raw config as Pulumi hands it to a program: every key's value as JSON text."""
    return {key: json.dumps(value) for key, value in document.items()}


def parse(
    document: dict[str, Any],
    secret_keys: Set[str] = frozenset({SECRETS}),
    secret_leaves: Set[str] | None = None,
) -> PlatformSpec:
    """``document`` holds ``secrets``; by default every one of its leaves was stored encrypted."""
    if secret_leaves is None:
        secret_leaves = leaves(document.get(SECRETS, {}))
    return parse_platform(config_values(document), secret_keys, secret_leaves)


def error_text(
    document: dict[str, Any],
    secret_keys: Set[str] = frozenset({SECRETS}),
    secret_leaves: Set[str] | None = None,
) -> str:
    with pytest.raises(SpecError) as caught:
        parse(document, secret_keys, secret_leaves)
    return str(caught.value)


def mutated(baseline: dict[str, Any], *mutations: Mutation) -> dict[str, Any]:
    document = copy.deepcopy(baseline)
    for mutation in mutations:
        mutation(document)
    return document


def _walk(document: dict[str, Any], path: Iterable[str | int]) -> Any:
    target: Any = document
    for part in path:
        target = target[part]
    return target


def put(*path: str | int, value: Any) -> Mutation:
    """Set ``value`` at ``path``, e.g. put("guests", "livekit", "address", value="10.0.0.2")."""

    def apply(document: dict[str, Any]) -> None:
        _walk(document, path[:-1])[path[-1]] = copy.deepcopy(value)

    return apply


def drop(*path: str | int) -> Mutation:
    def apply(document: dict[str, Any]) -> None:
        del _walk(document, path[:-1])[path[-1]]

    return apply


def append(*path: str | int, value: Any) -> Mutation:
    """Append to the list at ``path`` (made when absent), e.g. a new exposure of a service."""

    def apply(document: dict[str, Any]) -> None:
        _walk(document, path[:-1]).setdefault(path[-1], []).append(copy.deepcopy(value))

    return apply


def rename(section: str, old: str, new: str) -> Mutation:
    def apply(document: dict[str, Any]) -> None:
        document[section][new] = document[section].pop(old)

    return apply


def forward(service: str, protocol: str, ports: Any) -> Mutation:
    return append(
        "services",
        service,
        "expose",
        value={"kind": "forward", "protocol": protocol, "ports": ports},
    )


def private(service: str, protocol: str, ports: Any) -> Mutation:
    return append(
        "services",
        service,
        "expose",
        value={"kind": "private", "protocol": protocol, "ports": ports},
    )


def add_droplet(name: str = "edge", **fields: Any) -> Mutation:
    """A second host: a DigitalOcean droplet with its one required secret."""

    def apply(document: dict[str, Any]) -> None:
        document["hosts"][name] = {
            "kind": "droplet",
            "region": "fra1",
            "size": "s-2vcpu-4gb",
            "sshAllowedFrom": ["198.51.100.0/24"],
            **fields,
        }
        document[SECRETS][name] = {"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\n"}

    return apply


def add_service(name: str, **fields: Any) -> Mutation:
    def apply(document: dict[str, Any]) -> None:
        document["services"][name] = {"image": "nginx:1.27.3", "networks": ["app"], **fields}

    return apply
