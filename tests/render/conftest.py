"""Session fixtures for the renderer tests (see tools.py: every part is a real tool)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .tools import DockerEngine, KeyPair, make_keypair, start_engine, stop_engine


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyPair]:
    directory = tmp_path_factory.mktemp("keys")
    return {
        name: make_keypair(directory, name, comment)
        for name, comment in (
            ("admin", "admin@example"),
            ("host", ""),
            ("jump_host", ""),
            ("engine_host", ""),
            ("stranger", ""),
        )
    }


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerEngine]:
    engine = start_engine()
    try:
        yield engine
    finally:
        stop_engine(engine)
