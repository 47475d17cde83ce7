"""Managed databases and the pgBouncer services that pool them (or pool a service).

A pgBouncer database names a managed database under platform:databases or a service it shares a
network with; a managed upstream is reached over the internet, so the pgBouncer needs a network
that is not internal; and a managed database no pgBouncer names would have a firewall that
trusts no one (its firewall's sources are the hosts of the pgBouncers that name it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from components.apps import pgbouncer

from ..errors import Problem
from ..partial import parsed

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    named: set[str] = set()
    for name, service in spec.services.items():
        if not parsed(service, "app") or not isinstance(service.app, pgbouncer.Spec):
            continue
        networks = set(service.networks) if parsed(service, "networks") else set()
        at = ("services", name, "app", "databases")
        for db, entry in service.app.databases.items():
            if entry.managed is not None:
                named.add(entry.managed)
                if not spec.declared("databases", entry.managed):
                    known = ", ".join(spec.declared_names("databases")) or "none"
                    yield Problem(
                        (*at, db, "managed"),
                        f"{entry.managed} is not under platform:databases (declared: {known})",
                    )
                if parsed(service, "networks") and all(
                    n in spec.networks and spec.networks[n].internal for n in networks
                ):
                    yield Problem(
                        ("services", name, "networks"),
                        f"are all internal, but managed database {entry.managed} is reached "
                        "over the internet; add a network that is not internal",
                    )
            elif entry.service is not None:
                upstream = spec.services.get(entry.service)
                if upstream is None:
                    if not spec.declared("services", entry.service):
                        yield Problem(
                            (*at, db, "service"),
                            f"{entry.service} is not under platform:services",
                        )
                elif parsed(upstream, "networks") and not networks & set(upstream.networks):
                    yield Problem(
                        (*at, db, "service"),
                        f"{entry.service} shares no network with {name}; pgBouncer reaches it by "
                        "name on a network both join",
                    )
    for database in spec.databases if parsed(spec, "databases") else {}:
        if database not in named:
            yield Problem(
                ("databases", database),
                "is pooled by no pgBouncer service, so its firewall would trust no one; add a "
                f"service with app kind pgbouncer and a database {{managed: {database}}}",
            )
