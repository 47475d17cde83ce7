"""Shared helpers: the repo's stack specs and a mock-runtime recorder for components."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.plan import RecordedResource, read_stack_config, run_program
from components.spec import PlatformSpec, parse_platform
from components.spec.errors import CONFIG_NAMESPACE

ROOT = Path(__file__).resolve().parent.parent
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"


def stack_spec(stack: str) -> PlatformSpec:
    config = read_stack_config(ROOT / f"Pulumi.{stack}.yaml")
    prefix = f"{CONFIG_NAMESPACE}:"
    return parse_platform(
        {k.removeprefix(prefix): v for k, v in config.values.items() if k.startswith(prefix)},
        {k.removeprefix(prefix) for k in config.secret_keys if k.startswith(prefix)},
    )


def record(program: Callable[[], None]) -> list[RecordedResource]:
    """Run ``program`` under Pulumi's mocks and return every registration; fail on an error."""
    run = run_program(program, project="test", stack="test", config={})
    if run.error is not None:
        raise run.error
    return run.resources


def by_name(resources: list[RecordedResource]) -> dict[str, RecordedResource]:
    return {r.name: r for r in resources}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG_KEY in value
