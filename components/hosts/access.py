"""What the program needs to manage a server it reaches over SSH, whatever made the server: the
admin keys to keep in its authorized_keys, the deploy key (and its config path, named when a
key set would lock the program out), where the SSH access files go, and its engine's networks
and registry credentials. The cloud servers' bootstrap and the ``ssh`` host kind extend it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.derive.topology import EngineNetwork
from components.docker.engine import RegistryAuth


@dataclass(frozen=True, kw_only=True)
class ServerAccess:
    admin_keys: Sequence[str]
    private_key: pulumi.Input[str]
    private_key_path: str  # its config path, named when the keys would lock the program out
    project_dir: str
    stack: str
    networks: Sequence[EngineNetwork]
    registry_auth: Sequence[RegistryAuth] = ()
