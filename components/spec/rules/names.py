"""Entry names: one pattern for every section, and one namespace for hosts and guests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Problem

if TYPE_CHECKING:
    from ..platform import PlatformSpec

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
SECTIONS = ("hosts", "guests", "networks", "services", "databases")


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    # Names are checked for every declared entry, even one that has no valid field at all.
    for section in SECTIONS:
        for name in spec.declared_names(section):
            if not _NAME_RE.fullmatch(name):
                yield Problem(
                    (section, name),
                    f"{name} is not a valid name: a lower-case letter, then lower-case letters, "
                    "digits or hyphens, at most 31 characters",
                )
    for name in sorted(set(spec.declared_names("hosts")) & set(spec.declared_names("guests"))):
        yield Problem(
            ("guests", name),
            f"{name} is already a host name; hosts and guests share one namespace because "
            "services name either as their machine",
        )
