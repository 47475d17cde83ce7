"""Private image registries: the credentials each engine's Docker provider pulls with."""

from __future__ import annotations

from pydantic import Field

from .common import SecretRef, ShellSafe, Strict


class RegistrySpec(Strict):
    """A registry under ``platform:registries``, keyed by the host its images name (ghcr.io,
    registry.example.com:5000, or docker.io for Docker Hub)."""

    username: ShellSafe = Field(description="User at the registry, e.g. a bot account.")
    password: SecretRef = Field(
        description="Password or access token (read-only is enough), under platform:secrets."
    )
