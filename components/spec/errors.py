"""Spec errors that name the config path, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CONFIG_NAMESPACE = "platform"


def config_path(loc: Sequence[str | int], namespace: str = CONFIG_NAMESPACE) -> str:
    """Format a location such as ("guests", "proxy", "vmId") as ``platform:guests.proxy.vmId``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return f"{namespace}:{text}"


@dataclass(frozen=True)
class Problem:
    """One invalid value: where it is, what it is, and what is allowed instead."""

    loc: tuple[str | int, ...]
    message: str
    namespace: str = CONFIG_NAMESPACE

    def __str__(self) -> str:
        return f"{config_path(self.loc, self.namespace)}: {self.message}"


class SpecProblem(ValueError):  # noqa: N818 pydantic wraps ValueErrors from validators
    """Raised inside validators; carries a location relative to the whole platform spec."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class SpecError(Exception):
    """The stack configuration is invalid; nothing may be declared from it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
