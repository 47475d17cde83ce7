"""The pack pins exactly the SDK versions the suite runs it with (uv.lock)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
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


def _third_party_imports() -> set[str]:
    """The top-level modules the pack's code imports that are neither the standard library
    nor the pack's own (``lib``, its rule modules)."""
    own = {"lib", *(p.stem for p in PACK_DIR.glob("*.py"))}
    found = set()
    for path in PACK_DIR.rglob("*.py"):
        # rules_table.py is a tool run from the project's venv, not part of the pack.
        if "venv" in path.relative_to(PACK_DIR).parts or path.name == "rules_table.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in own}


def test_every_package_the_pack_imports_is_pinned() -> None:
    """Pulumi builds the pack's venv from requirements.txt alone (PulumiPolicy.yaml), so a
    package the pack imports but does not pin (crossplane) would fail only there."""
    distributions = importlib.metadata.packages_distributions()
    pins = _pins(PACK_DIR / "requirements.txt")
    imported = _third_party_imports()
    assert "crossplane" in imported
    for module in sorted(imported):
        names = {re.sub(r"[-_.]+", "-", n).lower() for n in distributions.get(module, [])}
        assert names & set(pins), f"the pack imports {module} ({names}), not in requirements.txt"
