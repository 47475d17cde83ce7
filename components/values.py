"""Values known only at apply time, named by the plan and resolved by the build."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# The argument under which a ``Rendered`` value receives its host's public address.
PUBLIC_ADDRESS = "public_address"


@dataclass(frozen=True)
class SecretPath:
    """A value under platform:secrets, by its dotted path."""

    path: str


@dataclass(frozen=True)
class Rendered:
    """Text rendered at apply time from secrets (and the host's public address, and values other
    components of the stack produce); the result is a secret. ``render`` receives ``{argument:
    value}`` for each of ``secrets`` and ``outputs``, plus ``PUBLIC_ADDRESS`` when
    ``public_address`` is set."""

    render: Callable[[Mapping[str, str]], str]
    secrets: Mapping[str, str]  # argument -> dotted path under platform:secrets
    public_address: bool = False
    # argument -> a value a component of the stack produces (``names.database_value``)
    outputs: Mapping[str, str] = field(default_factory=dict)


SecretValue = SecretPath | Rendered


@dataclass(frozen=True)
class FilePlan:
    """A file the container gets before it starts; ``Rendered`` content makes it a secret."""

    path: str
    content: str | Rendered
    mode: str = "0644"
    owner: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class LoopbackPort:
    """A container port published on the machine's 127.0.0.1 only: reached over SSH by the
    program (NPM's API), never from a network."""

    protocol: str
    port: int


@dataclass(frozen=True)
class AppContribution:
    """What an application adds to its service's container."""

    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, SecretValue] = field(default_factory=dict)
    files: tuple[FilePlan, ...] = ()
    loopback_ports: tuple[LoopbackPort, ...] = ()


@dataclass(frozen=True)
class Sidecar:
    """A container an app runs on every Docker engine of the stack (an exporter, a log agent):
    ``<name>-<machine>`` on each machine that runs services. It runs on the host network, or
    joins ``networks`` (keys under platform:networks), which every engine must then have."""

    name: str
    image: str
    command: tuple[str, ...] | None = None
    host_network: bool = False
    networks: tuple[str, ...] = ()
    binds: tuple[tuple[str, str], ...] = ()  # (host path, container path), read-only
    healthcheck: tuple[str, ...] | None = None  # exec form, e.g. ("CMD", "wget", "-qO-", url)
    memory_mb: int = 128
    cpus: float = 0.25
    pids: int = 64
    cap_add: tuple[str, ...] = ()
    user: str | None = None
    policy_exceptions: Mapping[str, str] = field(default_factory=dict)
    files: tuple[FilePlan, ...] = ()  # config files, as a service's app contributes them
