"""What plans clean but fails or loses data at apply: Docker resources two services would own,
routes the proxy cannot tell apart, and published ports the Docker provider cannot keep in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem, config_path
from ..partial import parsed
from ..services import RouteExpose

if TYPE_CHECKING:
    from ..platform import PlatformSpec, Publication

# Docker publishes each port as its own binding and, with its userland proxy (the default), its
# own docker-proxy process; past this many a service belongs on the host network.
MAX_PUBLISHED_PORTS = 32


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    yield from _shared_volumes(spec)
    yield from _borrowed_volumes(spec)
    yield from _duplicate_routes(spec)
    for name, service in spec.services.items():
        if parsed(service, "networkMode", "expose") and service.networkMode == "bridge":
            published = spec.publications(name)
            yield from _published_count(name, published)
            yield from _one_protocol_per_port(published)


def _shared_volumes(spec: PlatformSpec) -> Iterator[Problem]:
    # ContainerService declares each mounted volume as the service's own protected Docker
    # volume; creating a volume that exists returns it, so two services would both own it, and
    # removing either deletes the other's data.
    owners: dict[tuple[str, str], str] = {}
    for name, service in spec.services.items():
        if not parsed(service, "machine", "volumes"):
            continue
        for index, volume in enumerate(service.volumes):
            if volume.owner is not None:
                continue  # borrowed: checked by _borrowed_volumes
            key = (service.machine, volume.name)
            owner = owners.setdefault(key, name)
            if owner != name:
                yield Problem(
                    ("services", name, "volumes", index, "name"),
                    f"{volume.name} is already the volume of platform:services.{owner} on "
                    f"{service.machine}; each service owns its volumes, and removing either "
                    "service would delete the other's data: name another volume",
                )


def _borrowed_volumes(spec: PlatformSpec) -> Iterator[Problem]:
    # A volume mounted from its owner: the owner must exist on the same engine and mount it
    # itself (it declares the volume); the borrower only reads, so it cannot damage the data.
    for name, service in spec.services.items():
        if not parsed(service, "machine", "volumes"):
            continue
        for index, volume in enumerate(service.volumes):
            if volume.owner is None:
                continue
            at = ("services", name, "volumes", index)
            owner = spec.services.get(volume.owner)
            if volume.owner == name or owner is None or not parsed(owner, "machine", "volumes"):
                yield Problem(
                    (*at, "owner"),
                    f"{volume.owner} is not another service of platform:services",
                )
                continue
            if any(v.owner is not None for v in owner.volumes):
                yield Problem(
                    (*at, "owner"),
                    f"{volume.owner} mounts a borrowed volume itself: borrow from the service "
                    "that owns the data",
                )
            owned = [v.name for v in owner.volumes if v.owner is None]
            if owner.machine != service.machine or volume.name not in owned:
                yield Problem(
                    (*at, "name"),
                    f"{volume.name} is not a volume platform:services.{volume.owner} mounts on "
                    f"{service.machine} (it mounts {', '.join(owned) or 'none'} on "
                    f"{owner.machine})",
                )
            if not volume.readOnly:
                yield Problem(
                    (*at, "readOnly"),
                    "is false: a volume of another service is mounted read-only (readOnly: "
                    "true); only its owner writes it",
                )


def _duplicate_routes(spec: PlatformSpec) -> Iterator[Problem]:
    seen: dict[tuple[str, str], str] = {}
    for name, service in spec.services.items():
        if not parsed(service, "expose"):
            continue
        for index, expose in enumerate(service.expose):
            if not isinstance(expose, RouteExpose):
                continue
            at = config_path(("services", name, "expose", index))
            first = seen.setdefault((expose.host, expose.path), at)
            if first != at:
                yield Problem(
                    ("services", name, "expose", index),
                    f"route {expose.host}{expose.path} is already {first}; the proxy would "
                    "send the requests to one of them at random: give each route its own host "
                    "or path",
                )


def _published_count(name: str, published: list[Publication]) -> Iterator[Problem]:
    total = sum(item.ports.end - item.ports.start + 1 for item in published)
    if total <= MAX_PUBLISHED_PORTS:
        return
    widest = max(published, key=lambda item: item.ports.end - item.ports.start)
    yield Problem(
        (*widest.loc, "ports") if widest.loc[0] == "services" else widest.loc,
        f"{widest.ports} makes {name} publish {total} ports through Docker, at most "
        f"{MAX_PUBLISHED_PORTS}: each is a binding and a docker-proxy process of its own; use "
        "networkMode host for a media range this wide, or a narrower range",
    )


def _one_protocol_per_port(published: list[Publication]) -> Iterator[Problem]:
    # The provider reads ports back sorted by port number alone, two protocols on one number in
    # no fixed order (tests/provider_facts/docker.py), and `ports` replaces the container on
    # any change of order.
    for later_index, later in enumerate(published):
        for earlier in published[:later_index]:
            if earlier.protocol != later.protocol and earlier.ports.overlaps(later.ports):
                yield Problem(
                    later.loc,
                    f"{later.protocol} {later.ports} shares port numbers with "
                    f"{earlier.protocol} {earlier.ports} ({config_path(earlier.loc)}): the Docker "
                    "provider reads ports back by number alone, in no fixed order for one "
                    "number, and a new order replaces the container; publish each number with "
                    "one protocol, or use networkMode host",
                )
