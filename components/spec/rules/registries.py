"""Registries: each names a host an image can pull from, and some image pulls from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from components.apps.kinds import sidecars_of

from ..errors import Problem
from ..images import DOCKER_HUB, is_registry_host, registry_of
from ..partial import parsed
from ._shared import known

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    if not parsed(spec, "registries"):
        return
    pulled = pulled_registries(spec)
    for name in spec.registries:
        if not is_registry_host(name):
            yield Problem(
                ("registries", name),
                f"{name} is not a registry host: images name theirs as host[:port] (ghcr.io, "
                f"registry.example.com:5000), and Docker Hub is {DOCKER_HUB}",
            )
        elif pulled is not None and name not in pulled:
            yield Problem(
                ("registries", name),
                f"no image of platform:services pulls from {name}; images pull from "
                f"{known(pulled)}: remove the entry or correct its host",
            )


def pulled_registries(spec: PlatformSpec) -> set[str] | None:
    """The registries every image of the stack (services and their sidecars) pulls from; None
    when an image did not parse."""
    images = []
    for name, service in spec.services.items():
        if not parsed(service, "image", "app"):
            return None
        images.append(service.image)
        images += [sidecar.image for sidecar in sidecars_of(name, service)]
    return {registry_of(image) for image in images}
