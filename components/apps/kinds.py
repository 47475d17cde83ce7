"""The registry of applications: each module once, in ``MODULES``, and their lookup by kind."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from . import egress, livekit, loki, mosquitto, pgbouncer

if TYPE_CHECKING:
    from components.spec.errors import Problem
    from components.spec.services import ServiceSpec
    from components.values import AppContribution, Sidecar


class App(Protocol):
    KIND: str

    def problems(self, name: str, service: ServiceSpec) -> Iterator[Problem]: ...

    def contribute(self, name: str, service: ServiceSpec) -> AppContribution: ...


MODULES = (livekit, egress, mosquitto, loki, pgbouncer)
if TYPE_CHECKING:
    # mypy checks each module against the protocol here (see components/proxies/kinds.py).
    _CHECKED: tuple[App, ...] = MODULES
APPS: dict[str, ModuleType] = {module.KIND: module for module in MODULES}


def app_of(service: ServiceSpec) -> App | None:
    """The registered module of the service's app, if it has one."""
    if service.app is None:
        return None
    module: App = APPS[getattr(service.app, "kind")]  # noqa: B009 -- every Spec has one
    return module


def sidecars_of(name: str, service: ServiceSpec) -> Sequence[Sidecar]:
    """The containers the service's app runs on every engine (its optional ``sidecars`` hook:
    ``sidecars(name, service) -> Sequence[Sidecar]``); none for most apps."""
    app = app_of(service)
    hook = getattr(app, "sidecars", None)
    return () if hook is None else tuple(hook(name, service))
