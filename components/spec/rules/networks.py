"""Docker networks: each its own Docker name and bridge, and address pools that never overlap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem
from ..partial import parsed

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    seen: dict[tuple[str, object], str] = {}
    for name, network in spec.networks.items():
        for key in ("dockerName", "bridgeName"):
            if not parsed(network, key):
                continue  # an invalid dockerName is not the default (the network's name)
            value = network.dockerName or name if key == "dockerName" else network.bridgeName
            if value is None:
                continue
            owner = seen.setdefault((key, value), name)
            if owner != name:
                yield Problem(
                    ("networks", name, key),
                    f"{value} is already the {key} of platform:networks.{owner}; each network "
                    f"needs its own {key}",
                )
        if not parsed(network, "subnet") or network.subnet is None:
            continue
        for other_name, other in spec.networks.items():
            if (
                other_name < name
                and parsed(other, "subnet")
                and other.subnet is not None
                and other.subnet.overlaps(network.subnet)
            ):
                yield Problem(
                    ("networks", name, "subnet"),
                    f"{network.subnet} overlaps {other.subnet} of platform:networks.{other_name}; "
                    "Docker refuses overlapping pools",
                )
