"""The registry of proxy kinds: each module once, in ``MODULES``, and their lookup by kind."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from . import nginx, npm, traefik

if TYPE_CHECKING:
    from components.derive.exposure import ProxyRoute
    from components.spec.errors import Problem
    from components.spec.platform import PlatformSpec
    from components.spec.services import ServiceSpec
    from components.values import AppContribution, Rendered

    from .base import AuthForm, ProxyBase, PublicPort


class ProxyKind(Protocol):
    # Read-only members (properties), so a module's tuple or frozenset constant matches them.
    @property
    def KIND(self) -> str: ...  # noqa: N802 -- the modules' constant
    @property
    def PUBLIC_PORTS(self) -> Sequence[PublicPort]: ...  # noqa: N802
    @property
    def AUTH(self) -> frozenset[AuthForm]: ...  # noqa: N802

    def problems(self, spec: PlatformSpec) -> Iterator[Problem]: ...

    def route_labels(
        self, proxy: ProxyBase, service: str, routes: Sequence[ProxyRoute], network: str | None
    ) -> Mapping[str, str | Rendered]: ...

    def contribute(
        self,
        proxy: ProxyBase,
        service: ServiceSpec,
        network: str | None,
        routes: Sequence[ProxyRoute],
    ) -> AppContribution: ...


MODULES = (traefik, npm, nginx)
if TYPE_CHECKING:
    # mypy checks each module against the protocol here: a kind whose hook lost a parameter
    # (or gained one) fails the type check, not the first stack that uses it.
    _CHECKED: tuple[ProxyKind, ...] = MODULES
PROXIES: dict[str, ModuleType] = {module.KIND: module for module in MODULES}


def proxy_kind(proxy: ProxyBase) -> ProxyKind:
    module: ProxyKind = PROXIES[proxy.kind]
    return module
