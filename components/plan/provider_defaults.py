"""The schema defaults a provider's Check fills in before the engine hands inputs to analyzers.

The engine calls the provider's ``Check`` on a resource's inputs and sends the checked inputs
(defaults filled) to the policy pack, so a rule never sees a missing ``ports[].ip`` on a
Docker container: it sees ``0.0.0.0``. The offline plan and the policy tests apply the same
defaults to what the program registered, so what is tested is what the engine sends.

Only the defaults that change a rule's answer are listed (``DEFAULTS``), each with its source.
pulumi-docker is a bridged Terraform provider: its schema (pulumi/pulumi-docker
``provider/cmd/pulumi-resource-docker/schema.json``, read at commit 237b7899, the line after
v5.1.0 that the locked pulumi-docker 5.2.0 comes from) carries the upstream Terraform schema's
defaults in each property's description ("Defaults to `0.0.0.0`"), and the bridge's Check
fills Terraform defaults for properties left unset.

Deliberately not applied: ``networkMode`` (the schema says "Defaults to `bridge`", but the
upstream attribute is computed by the daemon, not a Check default) and anything computed
after create. A value the program set, or an unknown one, is never replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

SCHEMA = "pulumi/pulumi-docker@237b7899:provider/cmd/pulumi-resource-docker/schema.json"


@dataclass(frozen=True)
class Default:
    type: str  # resource type token
    path: str  # "ports[].ip": a property, `[]` for every entry of a list
    value: Any
    source: str  # where the schema says so


DEFAULTS: tuple[Default, ...] = (
    Default(
        "docker:index/container:Container",
        "ports[].ip",
        "0.0.0.0",
        f"{SCHEMA} types.docker:index/ContainerPort:ContainerPort.ip: "
        '"IP address/mask that can access this port. Defaults to `0.0.0.0`."',
    ),
    Default(
        "docker:index/container:Container",
        "ports[].protocol",
        "tcp",
        f"{SCHEMA} types.docker:index/ContainerPort:ContainerPort.protocol: "
        '"Protocol that can be used over this port. Defaults to `tcp`."',
    ),
    Default(
        "docker:index/container:Container",
        "restart",
        "no",
        f"{SCHEMA} resources.docker:index/container:Container.restart: "
        "\"Must be one of 'no', 'on-failure', 'always', 'unless-stopped'. Defaults to `no`.\"",
    ),
    Default(
        "docker:index/container:Container",
        "devices[].permissions",
        "rwm",
        f"{SCHEMA} types.docker:index/ContainerDevice:ContainerDevice.permissions: "
        '"The cgroup permissions given to the container to access the device. Defaults to '
        '`rwm`."',
    ),
    Default(
        "docker:index/volume:Volume",
        "driver",
        "local",
        f"{SCHEMA} resources.docker:index/volume:Volume.driver: "
        '"Driver type for the volume. Defaults to `local`."',
    ),
)


def _fill(value: Any, parts: list[str], default: Any) -> None:
    if not isinstance(value, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = value.get(head[:-2])
        for item in items if isinstance(items, list) else []:
            if rest:
                _fill(item, rest, default)
        return
    if not rest:
        if value.get(head) is None:  # unset; an empty string is a value the program chose
            value[head] = default
        return
    _fill(value.get(head), rest, default)


def apply_defaults(type_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``inputs`` (engine wire form, camelCase) with the provider's Check defaults filled."""
    filled = json_format.MessageToDict(struct_from(inputs))
    for default in DEFAULTS:
        if default.type == type_:
            _fill(filled, default.path.split("."), default.value)
    return filled


def struct_from(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(properties))
    return struct


def checked_struct(type_: str, properties: struct_pb2.Struct) -> struct_pb2.Struct:
    """A registration's properties as the engine sends them after Check."""
    if not any(default.type == type_ for default in DEFAULTS):
        return properties
    return struct_from(apply_defaults(type_, json_format.MessageToDict(properties)))
