"""The one tool locator: a found tool is an absolute path, a missing one fails (never skips)
and names the Debian package to install."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tools import INSTALL, require, tool


def test_a_tool_is_found_as_an_executable_absolute_path() -> None:
    path = Path(tool("sh"))
    assert path.is_absolute()
    assert os.access(path, os.X_OK)


def test_a_missing_tool_fails_naming_its_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.tools.shutil.which", lambda name, path=None: None)
    with pytest.raises(pytest.fail.Exception) as failed:
        tool("nft")
    assert str(failed.value) == f"missing tools: nft (Debian package nftables); {INSTALL}"


def test_every_missing_tool_is_named_in_one_failure() -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        require("sh", "nft-not-here", "tcpdump-not-here")
    assert str(failed.value) == (
        "missing tools: nft-not-here (Debian package nft-not-here), tcpdump-not-here (Debian "
        f"package tcpdump-not-here); {INSTALL}"
    )
