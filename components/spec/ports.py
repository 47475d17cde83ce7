"""Port ranges as written in config: ``443`` or ``"50000-60000"``."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

PORT_MIN = 1
PORT_MAX = 65535
PORT_SYNTAX = f"a port {PORT_MIN}-{PORT_MAX} such as 443, or a range low-high such as 50000-60000"
# ASCII digits only: str.isdigit() also accepts characters such as '²' that int() rejects.
_PORT_RANGE_RE = re.compile(r"(\d+)(?:-(\d+))?", re.ASCII)


class PortRange(BaseModel):
    """An inclusive range of ports; a single port is a range of width one."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, PortRange):
            return value
        if isinstance(value, dict):
            # The model's own {start, end} form gets the same checks as the text form.
            return _parse_port_dict(value)
        return _parse_port_range(value)

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    def overlaps(self, other: PortRange) -> bool:
        return self.start <= other.end and other.start <= self.end

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.start <= port <= self.end


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_port_dict(value: dict[Any, Any]) -> dict[str, int]:
    start, end = value.get("start"), value.get("end")
    if set(value) != {"start", "end"} or not (_is_int(start) and _is_int(end)):
        raise PydanticCustomError("port_range", f"is not {PORT_SYNTAX}")
    return _checked(start, end)


def _parse_port_range(value: Any) -> dict[str, int]:
    if not (_is_int(value) or isinstance(value, str)):
        raise PydanticCustomError("port_range", f"is not {PORT_SYNTAX}")
    match = _PORT_RANGE_RE.fullmatch(str(value).strip())
    if match is None:
        raise PydanticCustomError("port_range", f"is not {PORT_SYNTAX}")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) is not None else low
    return _checked(low, high)


def _checked(low: int, high: int) -> dict[str, int]:
    for port in (low, high):
        if not PORT_MIN <= port <= PORT_MAX:
            raise PydanticCustomError(
                "port_range", f"is out of range: ports are {PORT_MIN}-{PORT_MAX}"
            )
    if low > high:
        raise PydanticCustomError(
            "port_range",
            f"is reversed: write the range low-high, as {high}-{low}",
        )
    return {"start": low, "end": high}
