"""Recorded registrations written by hand, for tests of the harness on shapes no program has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .harness import CONTAINER_TYPE, NETWORK_TYPE


@dataclass
class Fake:
    """A recorded registration: just what the harness reads (type, name, inputs)."""

    type: str
    name: str
    inputs: dict[str, Any]


def net(name: str, **inputs: Any) -> Fake:
    return Fake(NETWORK_TYPE, name, {"name": name, **inputs})


def ctr(name: str, networks: list[dict[str, Any]], listen: str = "", **inputs: Any) -> Fake:
    labels = [{"label": "selfhosted.listen", "value": listen}] if listen else []
    return Fake(
        CONTAINER_TYPE,
        name,
        {"name": name, "networksAdvanced": networks, "labels": labels, **inputs},
    )
