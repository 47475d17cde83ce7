"""Text the rules share: how a list of declared names reads in a message."""

from __future__ import annotations

from collections.abc import Iterable


def known(names: Iterable[str]) -> str:
    """``a, b, c`` sorted, or ``none declared``."""
    items = sorted(names)
    return ", ".join(items) if items else "none declared"
