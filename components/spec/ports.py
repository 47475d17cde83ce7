"""Port ranges as written in config: ``443`` or ``"50000-60000"``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

PORT_MIN = 1
PORT_MAX = 65535
PORT_SYNTAX = f"a port {PORT_MIN}-{PORT_MAX} such as 443, or a range low-high such as 50000-60000"


class PortRange(BaseModel):
    """An inclusive range of ports; a single port is a range of width one."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, dict | PortRange):
            return value
        return _parse_port_range(value)

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    def overlaps(self, other: PortRange) -> bool:
        return self.start <= other.end and other.start <= self.end

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.start <= port <= self.end


def _parse_port_range(value: Any) -> dict[str, int]:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PydanticCustomError("port_range", f"is not {PORT_SYNTAX}")
    text = str(value).strip()
    low_text, sep, high_text = text.partition("-")
    if not low_text.isdigit() or (sep and not high_text.isdigit()):
        raise PydanticCustomError("port_range", f"is not {PORT_SYNTAX}")
    low = int(low_text)
    high = int(high_text) if sep else low
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
