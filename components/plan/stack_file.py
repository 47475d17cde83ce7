"""Read ``Pulumi.<stack>.yaml`` the way the Pulumi CLI hands config to a program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# What an encrypted value reads as offline: a plain token that fits any text format a renderer
# checks (an API key name, a password), so the program renders as it would with the real value.
OFFLINE_SECRET = "offline-secret-placeholder"


@dataclass(frozen=True)
class StackConfig:
    values: dict[str, str]
    secret_keys: frozenset[str]
    # Dotted paths of every `secure:` value, e.g. "platform:secrets.ax102.apiToken": the CLI
    # tells a program only which top-level keys hold one.
    secure_paths: frozenset[str] = frozenset()


class StackFileError(Exception):
    """The stack file is missing or not a Pulumi stack settings file."""


def read_project_name(project_dir: Path) -> str:
    document = _load(project_dir / "Pulumi.yaml")
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise StackFileError(f"{project_dir / 'Pulumi.yaml'}: `name` is required")
    return name


def read_stack_config(path: Path) -> StackConfig:
    """Config values as strings (objects as JSON); ``secure:`` values become secret placeholders.

    Encrypted values cannot be decrypted offline, and the plan never needs their content.
    """
    document = _load(path)
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config` must be a mapping of key to value")
    values: dict[str, str] = {}
    secrets: set[str] = set()
    for key, raw in config.items():
        full_key = str(key)
        value, secret = _unwrap(raw)
        if secret:
            secrets.add(full_key)
        values[full_key] = value if isinstance(value, str) else json.dumps(value)
    paths = frozenset(_secure_paths(config, ""))
    return StackConfig(values=values, secret_keys=frozenset(secrets), secure_paths=paths)


def _secure_paths(raw: Any, prefix: str) -> list[str]:
    if isinstance(raw, dict) and set(raw) == {"secure"}:
        return [prefix]
    if isinstance(raw, dict):
        return [
            path
            for key, item in raw.items()
            for path in _secure_paths(item, f"{prefix}.{key}" if prefix else str(key))
        ]
    return []


def _unwrap(raw: Any) -> tuple[Any, bool]:
    if isinstance(raw, dict) and set(raw) == {"secure"}:
        return OFFLINE_SECRET, True
    if isinstance(raw, dict):
        items = {k: _unwrap(v) for k, v in raw.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(raw, list):
        pairs = [_unwrap(v) for v in raw]
        return [v for v, _ in pairs], any(s for _, s in pairs)
    return raw, False


def _load(path: Path) -> dict[str, Any]:
    try:
        # ruamel refuses a key written twice; PyYAML would silently keep the last one.
        document = YAML(typ="safe", pure=True).load(path.read_text())
    except FileNotFoundError:
        raise StackFileError(f"{path}: no such stack file") from None
    except DuplicateKeyError as error:
        found = _duplicate_keys(path.read_text()) or [_one_line(error)]
        raise StackFileError(f"{path}: a key is written twice: {'; '.join(found)}") from None
    except YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML: {_one_line(error)}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a mapping at the top level")
    return document


def _duplicate_keys(text: str) -> list[str]:
    """Each key written twice, by its config path, lines and values (duplicates are found by
    ruamel's constructor; the composed node tree still has both)."""
    found: list[str] = []

    def walk(node: Node, path: str) -> None:
        if isinstance(node, MappingNode):
            seen: dict[str, tuple[ScalarNode, Node]] = {}
            for key, value in node.value:
                name = str(key.value)
                where = name if path in ("", "config") else f"{path}.{name}"
                if name in seen:
                    first_key, first_value = seen[name]
                    # A secret written in plaintext by mistake is still never printed.
                    secret = where.startswith("platform:secrets")
                    found.append(
                        f"{where} is {_shown(value, secret)} on line {key.start_mark.line + 1} "
                        f"and {_shown(first_value, secret)} on line "
                        f"{first_key.start_mark.line + 1}; keep one"
                    )
                seen.setdefault(name, (key, value))
                walk(value, where)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{path}[{index}]")

    walk(YAML(typ="safe", pure=True).compose(text), "")
    return found


def _shown(node: Node, secret: bool) -> str:
    if secret:
        return "[secret]"
    return str(node.value) if isinstance(node, ScalarNode) else "a block"


def _one_line(error: YAMLError) -> str:
    # ruamel's message spans lines and ends with a link to its docs; keep what says where.
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(line for line in lines if "yaml.dev" not in line and "suppress" not in line)
