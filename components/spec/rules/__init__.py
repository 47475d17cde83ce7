"""Every rule that spans more than one field of the ``platform`` namespace, in one place.

Each rule is a function ``problems(spec) -> Iterator[Problem]`` of one topic. Rules return
problems instead of raising, so one validation reports all of them, each with the config path
of the offending value; they run in the order listed, which is the order an operator reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ..errors import Problem
from . import (
    backups,
    cloud,
    containers,
    databases,
    monitoring,
    names,
    networks,
    proxmox,
    proxy,
    publications,
    registries,
    services,
    sidecars,
)

if TYPE_CHECKING:
    from ..platform import PlatformSpec

Rule = Callable[["PlatformSpec"], Iterator[Problem]]

RULES: tuple[Rule, ...] = (
    names.problems,
    cloud.problems,
    proxmox.problems,
    networks.problems,
    services.problems,
    proxy.problems,
    publications.problems,
    containers.problems,
    sidecars.problems,
    registries.problems,
    databases.problems,
    backups.problems,
    monitoring.problems,
)


def cross_field_problems(spec: PlatformSpec) -> list[Problem]:
    """The problems of every rule, in the order of ``RULES``."""
    return [problem for rule in RULES for problem in rule(spec)]
