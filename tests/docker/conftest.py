"""One real Docker engine for the whole session, in its own network namespace.

It never skips: without root or the Debian packages (``bash scripts/test.sh`` installs them)
the tests fail and say what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from .engine import DockerEngine, EngineError, start_engine, stop_engine


@pytest.fixture(scope="session")
def docker_engine(request: pytest.FixtureRequest) -> Iterator[DockerEngine]:
    t0 = time.monotonic()
    try:
        engine = start_engine()
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    try:
        yield engine
    finally:
        t1 = time.monotonic()
        stop_engine(engine)
        if reporter is not None:
            reporter.write_line(
                f"docker engine: started in {engine.started_in:.1f}s, "
                f"stopped in {time.monotonic() - t1:.1f}s, "
                f"{time.monotonic() - t0:.1f}s in all"
            )
