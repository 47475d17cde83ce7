"""The pure layers (spec, derive, render) never import the Pulumi SDK: they run anywhere, fast."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE_PACKAGES = (
    "components.spec",
    "components.derive",
    "components.render",
    "components.apps",
    "components.proxies",
)
PURE_MODULES = ("components.names", "components.values")


def _modules() -> list[str]:
    found = []
    for package in PURE_PACKAGES:
        path = ROOT / package.replace(".", "/")
        found.append(package)
        found += [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])]
    return sorted([*found, *PURE_MODULES])


def test_every_pure_module_is_listed() -> None:
    # A new module in a pure package is picked up without editing this test.
    assert "components.derive.exposure" in _modules()
    assert "components.spec.platform" in _modules()
    assert "components.render.nftables" in _modules()


# One interpreter imports the modules one by one and names each after which the SDK appeared.
PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    if any(m == "pulumi" or m.startswith("pulumi.") for m in sys.modules):
        print(name)
        break
"""


def _first_importer(modules: list[str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
    )
    return result.stdout.strip()


def test_no_pure_module_imports_pulumi() -> None:
    assert _first_importer(_modules()) == ""


def test_the_probe_names_a_module_that_imports_pulumi() -> None:
    modules = ["components.spec", "components.docker.container_service", "components.derive"]
    assert _first_importer(modules) == "components.docker.container_service"
