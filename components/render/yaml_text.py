"""One YAML dumper for every rendered file: block style, keys in the order built, literal blocks.

Multi-line strings (private host keys, scripts, drop-in files) are written as literal blocks
(``|``) so the rendered file reads like the file it installs; every other scalar is left to
PyYAML's safe representer, which quotes whatever would otherwise change type on load.
"""

from __future__ import annotations

from typing import Any

import yaml


class _BlockDumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # A literal block cannot hold trailing spaces on a line or a tab-led line reliably;
    # PyYAML falls back to a quoted scalar by itself in those cases.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Dump plain data (dicts, lists, str, int, bool) as block YAML, keys in insertion order."""
    return yaml.dump(
        data,
        Dumper=_BlockDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
