"""Sidecars: the containers an app runs on every engine (``sidecars`` hook of an app module).

Each is named ``<sidecar>-<machine>`` and must not take a service's name; a bridged sidecar
joins networks that every engine has (an engine creates the networks its services join).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from components.apps.kinds import sidecars_of
from components.names import sidecar as sidecar_name

from ..errors import Problem
from ..partial import parsed

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    engines = {
        machine: {
            n
            for s in spec.services_on(machine).values()
            if parsed(s, "networks")
            for n in s.networks
        }
        for machine in spec.machines()
        if spec.services_on(machine)
    }
    for name, service in spec.services.items():
        if not parsed(service, "app") or service.app is None:
            continue
        at = ("services", name, "app")
        for sidecar in sidecars_of(name, service):
            for machine, networks in engines.items():
                taken = sidecar_name(sidecar.name, machine)
                if taken in spec.services:
                    yield Problem(
                        at,
                        f"its sidecar {sidecar.name} runs as {taken} on {machine}, which is "
                        f"already platform:services.{taken}; rename that service",
                    )
                if sidecar.host_network:
                    continue
                missing = sorted(set(sidecar.networks) - networks)
                if not sidecar.networks or missing:
                    wanted = ", ".join(sidecar.networks) or "none"
                    yield Problem(
                        at,
                        f"its sidecar {sidecar.name} joins the networks {wanted}, and no service "
                        f"on {machine} joins {', '.join(missing) or 'any network'}; an engine "
                        "has only the networks its services join",
                    )
