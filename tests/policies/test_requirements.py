"""The pack pins exactly the SDK versions the suite runs it with (uv.lock)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from .conftest import PACK_DIR

LOCK = PACK_DIR.parent / "uv.lock"


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][A-Za-z0-9.]*)", line)
        assert match, f"requirements.txt: {line!r} is not an exact pin (name==version)"
        pins[match[1].lower()] = match[2]
    return pins


def test_requirements_pin_the_locked_versions() -> None:
    locked = {p["name"]: p["version"] for p in tomllib.loads(LOCK.read_text())["package"]}
    pins = _pins(PACK_DIR / "requirements.txt")
    assert {"pulumi-policy", "pulumi"} <= set(pins)
    assert pins == {name: locked[name] for name in pins}
