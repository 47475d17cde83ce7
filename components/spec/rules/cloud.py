"""Servers the program creates: SSH key login only, and SSH open to admin networks only.

Each admin key is listed once: a cloud account names a key by its fingerprint (the program
uploads it as ``<host>-admin-<fingerprint>``), so the same key twice, even with another
comment, would be two resources of one name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem
from ..hosts import CloudServerSpec
from ..partial import parsed

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    needs_keys = [n for n, h in spec.hosts.items() if isinstance(h, CloudServerSpec)]
    if needs_keys and parsed(spec, "adminSshKeys") and not spec.adminSshKeys:
        yield Problem(
            ("adminSshKeys",),
            f"is empty, but the servers {', '.join(needs_keys)} are created with SSH key login "
            "only; add at least one SSH public key",
        )
    if parsed(spec, "adminSshKeys"):
        seen: dict[str, int] = {}
        for index, key in enumerate(spec.adminSshKeys):
            blob = " ".join(key.split()[:2])
            if blob in seen:
                yield Problem(
                    ("adminSshKeys", index),
                    f"is the key of adminSshKeys[{seen[blob]}] again (comments aside); "
                    "list each key once",
                )
            seen.setdefault(blob, index)
    for name, host in spec.hosts.items():
        if not isinstance(host, CloudServerSpec) or not parsed(host, "sshAllowedFrom"):
            continue
        for index, network in enumerate(host.sshAllowedFrom):
            if network.prefixlen < 8:
                yield Problem(
                    ("hosts", name, "sshAllowedFrom", index),
                    f"{network} opens SSH to a large part of the internet; allow your admin "
                    "networks only (a prefix of /8 or longer)",
                )
