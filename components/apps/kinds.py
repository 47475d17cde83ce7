"""The registry of applications: each module once, in ``MODULES``, and their lookup by kind."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from . import egress, livekit

if TYPE_CHECKING:
    from components.spec.errors import Problem
    from components.spec.services import ServiceSpec
    from components.values import AppContribution


class App(Protocol):
    KIND: str

    def problems(self, name: str, service: ServiceSpec) -> Iterator[Problem]: ...

    def contribute(self, name: str, service: ServiceSpec) -> AppContribution: ...


MODULES = (livekit, egress)
APPS: dict[str, ModuleType] = {module.KIND: module for module in MODULES}


def app_of(service: ServiceSpec) -> App | None:
    """The registered module of the service's app, if it has one."""
    if service.app is None:
        return None
    module: App = APPS[getattr(service.app, "kind")]  # noqa: B009 -- every Spec has one
    return module
