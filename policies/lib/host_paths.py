"""Host paths a ``docker:index/container:Container`` mounts. Shared by the mount policies.

A host path reaches a container through ``volumes[].hostPath`` (``-v /host:/ctr``) or a
``mounts[]`` entry of ``type: bind`` (its ``source``); other mount types (``volume``,
``tmpfs``) name no host path. Paths are compared after normalisation (``/var/run/`` and
``//var//run`` are ``/var/run``); symlinks on the host are not resolved.

Properties are read lazily, in order, through the SDK's unknown-checking proxy: an unknown
value raises where it is read, so a policy's violations found before it are kept.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# The Docker daemon's socket, and the directories whose mount brings it along.
DOCKER_SOCKET_FILES = ("/var/run/docker.sock", "/run/docker.sock")
DOCKER_SOCKET_DIRS = ("/var/run", "/run")
DOCKER_SOCKET_PATHS = DOCKER_SOCKET_FILES + DOCKER_SOCKET_DIRS


def normalize(path: str) -> str:
    """``path`` without ``.``/``..`` parts, repeated or trailing slashes."""
    normalized = posixpath.normpath(path)
    if normalized.startswith("//"):  # POSIX keeps two leading slashes; Linux does not care
        normalized = "/" + normalized.lstrip("/")
    return normalized


def is_at_or_below(path: str, root: str) -> bool:
    """Whether normalised ``path`` is ``root`` or inside it."""
    return path == root or path.startswith(root.rstrip("/") + "/")


@dataclass(frozen=True)
class HostMount:
    where: str  # "volumes[0]" or "mounts[1]"
    path: str  # the normalised host path
    entry: Mapping[str, Any]  # the property entry, for reading `readOnly` only when needed

    def read_only(self) -> bool:
        return self.entry.get("readOnly") is True


def host_mounts(props: Mapping[str, Any]) -> Iterator[HostMount]:
    """Each host path the container mounts: ``volumes`` first, then bind ``mounts``."""
    for index, volume in enumerate(props.get("volumes") or []):
        host_path = volume.get("hostPath")
        if isinstance(host_path, str) and host_path:
            yield HostMount(f"volumes[{index}]", normalize(host_path), volume)
    for index, mount in enumerate(props.get("mounts") or []):
        if str(mount.get("type")).lower() != "bind":
            continue  # read `source` only for binds: a volume's source is a volume name
        source = mount.get("source")
        if isinstance(source, str) and source:
            yield HostMount(f"mounts[{index}]", normalize(source), mount)
