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
    """Text rendered at apply time from secrets (and the host's public address); the result is
    a secret. ``render`` receives ``{argument: value}`` for each of ``secrets``, plus
    ``PUBLIC_ADDRESS`` when ``public_address`` is set."""

    render: Callable[[Mapping[str, str]], str]
    secrets: Mapping[str, str]  # argument -> dotted path under platform:secrets
    public_address: bool = False


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
class AppContribution:
    """What an application adds to its service's container."""

    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, SecretValue] = field(default_factory=dict)
    files: tuple[FilePlan, ...] = ()
