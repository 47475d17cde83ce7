"""Host paths a Docker resource reaches, and which of them are daemon sockets.

A container reaches a host path through ``volumes[].hostPath`` (``-v /host:/ctr``) or a
``mounts[]`` entry of ``type: bind`` (its ``source``); other mount types (``volume``,
``tmpfs``) name no host path. A ``docker:index/volume:Volume`` of the ``local`` driver (the
provider's default, see ``components/plan/provider_defaults.py``) reaches one too when its
``driverOpts`` say ``o: bind`` (or ``rbind``, with more comma-separated options) and
``device: <path>``: that is how Compose's ``driver_opts`` bind a host directory, and every
container that mounts the volume then sees it. Paths are compared after normalisation
(``/var/run/`` and ``//var//run`` are ``/var/run``); symlinks on the host are not resolved,
except that ``/var/run`` is read as ``/run`` (a symlink on every current distribution).

Properties are read lazily, in order, through the SDK's unknown-checking proxy: an unknown
value raises where it is read, so a rule's violations found before it are kept.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lib.types import DOCKER_VOLUME

RUN_DIRS = ("/run", "/var/run")

# Daemon sockets that give root on the host (container runtimes: start a privileged
# container, mount `/`). Rootless Docker's lives in the user's runtime directory.
DAEMON_SOCKETS = (
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
    "/run/crio/crio.sock",
    "/run/buildkit/buildkitd.sock",
    "/run/user/<uid>/docker.sock",
    "/run/user/<uid>/podman/podman.sock",
)
_UID = re.compile(r"^/run/user/[0-9]+(?=/|$)")


def normalize(path: str) -> str:
    """``path`` without ``.``/``..`` parts, repeated or trailing slashes."""
    normalized = posixpath.normpath(path)
    if normalized.startswith("//"):  # POSIX keeps two leading slashes; Linux does not care
        normalized = "/" + normalized.lstrip("/")
    return normalized


def is_at_or_below(path: str, root: str) -> bool:
    """Whether normalised ``path`` is ``root`` or inside it."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def _canonical_run(path: str) -> str:
    """``/var/run/...`` as ``/run/...``, and any ``/run/user/<number>`` as ``/run/user/<uid>``."""
    if is_at_or_below(path, "/var/run"):
        path = "/run" + path[len("/var/run") :]
    return _UID.sub("/run/user/<uid>", path)


def daemon_socket(path: str) -> str | None:
    """What a host ``path`` exposes of a daemon socket, or None.

    Any ``*.sock`` below ``/run`` or ``/var/run`` is a daemon's socket; a directory that holds
    one of ``DAEMON_SOCKETS`` (``/run``, ``/run/containerd``, ``/run/user/1000``, ...) brings
    it along.
    """
    if not any(is_at_or_below(path, root) for root in RUN_DIRS):
        return None
    canonical = _canonical_run(path)
    uid = re.match(r"^/(?:var/)?run/user/([0-9]+)", path)
    if canonical.endswith(".sock"):
        return f"the daemon socket {path}"
    held = [s for s in DAEMON_SOCKETS if is_at_or_below(s, canonical) and s != canonical]
    if held:
        shown = held[0].replace("<uid>", uid.group(1)) if uid else held[0]
        return f"the directory {path}, which holds the daemon socket {shown}"
    return None


@dataclass(frozen=True)
class HostMount:
    where: str  # "volumes[0]", "mounts[1]" or "driverOpts.device"
    path: str  # the normalised host path
    read_only_flag: Any  # how to read `readOnly`: an entry, or the volume's bind options

    def read_only(self) -> bool:
        flag = self.read_only_flag
        if isinstance(flag, str):  # a volume's `o` options
            return "ro" in [part.strip() for part in flag.split(",")]
        return bool(flag.get("readOnly") is True)


def host_mounts(resource_type: str, props: Mapping[str, Any]) -> Iterator[HostMount]:
    """Each host path the resource reaches: a container's ``volumes`` then bind ``mounts``, a
    volume's bind ``device``."""
    if resource_type == DOCKER_VOLUME:
        yield from _volume_bind(props)
        return
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


def _volume_bind(props: Mapping[str, Any]) -> Iterator[HostMount]:
    if (props.get("driver") or "local") != "local":
        return  # another driver's options mean something else
    options = props.get("driverOpts") or {}
    o = options.get("o")
    if not isinstance(o, str) or not {"bind", "rbind"} & {p.strip() for p in o.split(",")}:
        return
    device = options.get("device")
    if isinstance(device, str) and device:
        yield HostMount("driverOpts.device", normalize(device), o)
