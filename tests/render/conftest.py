"""Session fixtures for the renderer tests (see tools.py: every part is a real tool)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .tools import DockerEngine, KeyPair, make_keypair, start_dockerd, stop


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
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerEngine]:
    # Short path: the socket path must fit in sun_path (108 bytes).
    root = Path(tmp_path_factory.mktemp("dk"))
    proc, engine = start_dockerd(root)
    try:
        yield engine
    finally:
        stop(proc)
