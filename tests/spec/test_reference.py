"""The config reference (docs/config-reference.md): the models' own output, and it covers every
key the repository's stack files use, with the rules the spec's errors state."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
import yaml

from components.spec.reference import config_reference
from tests.golden.update import stacks
from tests.spec.spec_helpers import error_text, put
from tests.spec.test_models import doc
from tests.stacks import ROOT

REFERENCE = ROOT / "docs" / "config-reference.md"


def _sections() -> dict[str, set[str]]:
    """Section title -> the keys its table lists, read from the file as a reader would."""
    found: dict[str, set[str]] = {}
    title = ""
    for line in REFERENCE.read_text().splitlines():
        if line.startswith("## `"):
            title = line.removeprefix("## `").removesuffix("`")
            found[title] = set()
        elif (match := re.match(r"^\| `([A-Za-z]+)` \|", line)) and title:
            found[title].add(match[1])
    return found


def test_the_docs_are_what_the_models_generate() -> None:
    cli = subprocess.run(
        [sys.executable, "-m", "components", "config-reference"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert cli.stdout == config_reference()
    assert REFERENCE.read_text() == cli.stdout, (
        "docs/config-reference.md drifted from the models: "
        "python -m components config-reference > docs/config-reference.md"
    )


def _used_keys(config: dict[str, Any]) -> set[tuple[str, str]]:
    """(section title, key) for every key a stack file writes, by the reference's titles."""
    used: set[tuple[str, str]] = set()
    platform = {
        k.removeprefix("platform:"): v for k, v in config.items() if k != "platform:secrets"
    }
    used |= {("platform", key) for key in platform}
    for host in platform.get("hosts", {}).values():
        used |= {(f"platform:hosts.<name> (kind {host['kind']})", k) for k in host}
    for key in ("guests", "networks", "services"):
        for entry in platform.get(key, {}).values():
            used |= {(f"platform:{key}.<name>", k) for k in entry}
    for service in platform.get("services", {}).values():
        for expose in service.get("expose", []):
            title = f"platform:services.<name>.expose[] (kind {expose['kind']})"
            used |= {(title, k) for k in expose}
        if "app" in service:
            title = f"platform:services.<name>.app (kind {service['app']['kind']})"
            used |= {(title, k) for k in service["app"]}
    if "proxy" in platform:
        used |= {
            (f"platform:proxy (kind {platform['proxy']['kind']})", k) for k in platform["proxy"]
        }
    return used


@pytest.mark.parametrize("stack", stacks())
def test_every_key_of_the_stack_files_is_documented(stack: str) -> None:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    sections = _sections()
    missing = sorted(
        (title, key) for title, key in _used_keys(config) if key not in sections.get(title, set())
    )
    assert missing == []


def test_a_value_types_rule_is_the_one_its_error_states() -> None:
    text = error_text(doc(put("hosts", "ax102", "nodeName", value="Bad_Node")))
    rule = text.split("Bad_Node is not ", 1)[1]
    row = next(
        line for line in REFERENCE.read_text().splitlines() if line.startswith("| `nodeName` |")
    )
    assert rule in row
