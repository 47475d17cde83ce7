"""Read and edit ``Pulumi.<stack>.yaml`` the way the Pulumi CLI does.

Reading hands config to the program as the CLI does: values as strings (objects as JSON), a key
secret when it holds a ``secure:`` value anywhere inside. ``secure:`` values are decrypted with
the passphrase provider (:mod:`components.plan.passphrase`) when a passphrase is given, and stay
secret placeholders otherwise. Either way, a stack with an ``encryptionsalt`` has its salt and
every ``secure:`` value checked for the structure the CLI accepts, so a value the CLI would
reject fails here too.

Editing (``python -m components secret ...``) keeps the file's comments and key order
(ruamel.yaml round-trip), as ``pulumi config set`` does.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .passphrase import (
    Crypter,
    IncorrectPassphraseError,
    PassphraseError,
    check_encryption_salt,
    crypter_from_salt,
    new_encryption_salt,
    parse_ciphertext,
)

SALT_KEY = "encryptionsalt"
# A config key is `namespace:name` (pulumi/pulumi sdk/go/common/resource/config/key.go).
_CONFIG_KEY = re.compile(r"^[^:\s]+:[^:\s]+$")


# What an encrypted value reads as without a passphrase: a plain token that fits any text format
# a renderer checks (an API key name, a password), so the program renders as with the real value.
OFFLINE_SECRET = "offline-secret-placeholder"


@dataclass(frozen=True)
class StackConfig:
    values: dict[str, str]
    secret_keys: frozenset[str]
    # Decrypted plaintexts, kept only so printed output can hide them (see passphrase.redact).
    secret_values: tuple[str, ...] = ()
    # Dotted paths of every `secure:` value, e.g. "platform:secrets.ax102.apiToken": the CLI
    # tells a program only which top-level keys hold one.
    secure_paths: frozenset[str] = frozenset()


class StackFileError(Exception):
    """The stack file is missing, not a Pulumi stack settings file, or its secrets are unusable."""


def read_project_name(project_dir: Path) -> str:
    document = _load(project_dir / "Pulumi.yaml")
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise StackFileError(f"{project_dir / 'Pulumi.yaml'}: `name` is required")
    return name


def discover_stacks(project_dir: Path) -> list[str]:
    """Stack names from the ``Pulumi.<stack>.yaml`` files beside ``Pulumi.yaml``, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def read_stack_config(path: Path, passphrase: str | None = None) -> StackConfig:
    """Config values as strings (objects as JSON); ``secure:`` values decrypted or placeholders.

    Every problem (malformed salt or secure value, wrong passphrase, a value that does not
    decrypt) is reported at once in one :class:`StackFileError`, naming the config path.
    """
    document = _load(path)
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config` must be a mapping of key to value")
    crypter = _crypter(path, document, config, passphrase)
    problems: list[str] = []
    plaintexts: list[str] = []

    def open_secure(where: str, ciphertext: Any) -> str:
        if crypter is None:
            return OFFLINE_SECRET
        try:
            plain = crypter.decrypt(str(ciphertext))
        except PassphraseError as error:
            problems.append(f"{path}: {where}: {error}")
            return OFFLINE_SECRET
        plaintexts.append(plain)
        return plain

    values: dict[str, str] = {}
    secrets: set[str] = set()
    for key, raw in config.items():
        full_key = str(key)
        value, secret = _unwrap(raw, full_key, open_secure)
        if secret:
            secrets.add(full_key)
        values[full_key] = value if isinstance(value, str) else json.dumps(value)
    if problems:
        raise StackFileError("\n".join(problems))
    return StackConfig(
        values=values,
        secret_keys=frozenset(secrets),
        secret_values=tuple(plaintexts),
        secure_paths=frozenset(where for where, _ in _secure_values(config)),
    )


def _crypter(
    path: Path, document: dict[str, Any], config: dict[Any, Any], passphrase: str | None
) -> Crypter | None:
    """Check the salt and secure values' structure; the crypter when there is a passphrase."""
    salt = document.get(SALT_KEY)
    secure = list(_secure_values(config))
    problems: list[str] = []
    if salt is not None:
        try:
            check_encryption_salt(str(salt))
        except PassphraseError as error:
            problems.append(f"{path}: {error}")
        for where, ciphertext in secure:
            try:
                parse_ciphertext(str(ciphertext))
            except PassphraseError as error:
                problems.append(f"{path}: {where}: secure value {error}")
    if problems:
        raise StackFileError("\n".join(problems))
    if passphrase is None:
        return None
    if salt is None:
        if not secure:
            return None
        raise StackFileError(
            f"{path}: a passphrase was given but the file has no `{SALT_KEY}`, so its secure "
            f"values are not from the passphrase secrets provider (`secretsprovider: "
            f"{document.get('secretsprovider', 'default')}`); unset PULUMI_CONFIG_PASSPHRASE "
            "and PULUMI_CONFIG_PASSPHRASE_FILE to plan with secret placeholders"
        )
    try:
        return crypter_from_salt(passphrase, str(salt))
    except IncorrectPassphraseError:
        raise StackFileError(
            f"{path}: incorrect passphrase: the `{SALT_KEY}` check value does not decrypt with "
            "the passphrase from PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE"
        ) from None


def _secure_values(raw: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(raw, dict) and set(raw) == {"secure"}:
        yield where, raw["secure"]
    elif isinstance(raw, dict):
        for key, item in raw.items():
            yield from _secure_values(item, f"{where}.{key}" if where else str(key))
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            yield from _secure_values(item, f"{where}[{index}]")


def _unwrap(raw: Any, where: str, open_secure: Callable[[str, Any], str]) -> tuple[Any, bool]:
    if isinstance(raw, dict) and set(raw) == {"secure"}:
        return open_secure(where, raw["secure"]), True
    if isinstance(raw, dict):
        items = {k: _unwrap(v, f"{where}.{k}", open_secure) for k, v in raw.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(raw, list):
        pairs = [_unwrap(v, f"{where}[{i}]", open_secure) for i, v in enumerate(raw)]
        return [v for v, _ in pairs], any(s for _, s in pairs)
    return raw, False


def _load(path: Path) -> dict[str, Any]:
    # ruamel.yaml refuses duplicate keys (PyYAML would silently keep the last one).
    try:
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


# --- editing: `python -m components secret init|encrypt` ------------------------------------


def _round_trip() -> YAML:
    yaml = YAML()  # round-trip: comments, key order and quoting are kept
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long ciphertext
    return yaml


def _edit_load(path: Path) -> CommentedMap:
    if not path.exists():
        return CommentedMap()
    try:
        document = _round_trip().load(path.read_text())
    except YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML: {error}") from None
    if document is None:
        return CommentedMap()
    if not isinstance(document, CommentedMap):
        raise StackFileError(f"{path}: expected a mapping at the top level")
    return document


def _edit_save(path: Path, document: CommentedMap) -> None:
    buffer = io.StringIO()
    _round_trip().dump(document, buffer)
    path.write_text(buffer.getvalue())


def init_encryption_salt(path: Path, passphrase: str) -> str:
    """Write a new ``encryptionsalt`` as the file's first key; refuse to replace one."""
    document = _edit_load(path)
    if SALT_KEY in document:
        raise StackFileError(
            f"{path}: already has an `{SALT_KEY}`; its secure values are encrypted under it "
            "(use `python -m components secret encrypt` to add values)"
        )
    salt, _ = new_encryption_salt(passphrase)
    document.insert(0, SALT_KEY, salt)
    _edit_save(path, document)
    return salt


def encrypt_config_value(path: Path, key: str, plaintext: str, passphrase: str) -> str:
    """Set config ``key`` to ``secure: <ciphertext>``, as ``pulumi config set --secret`` does.

    Dots in the name are a path, as with ``pulumi config set --secret --path``:
    ``platform:secrets.ax102.apiToken`` sets ``apiToken`` inside ``ax102`` inside
    ``platform:secrets``.
    """
    if not _CONFIG_KEY.match(key):
        raise StackFileError(
            f"config key {key!r} must be namespace:name, for example platform:sshPrivateKey"
        )
    document = _edit_load(path)
    salt = document.get(SALT_KEY)
    if salt is None:
        raise StackFileError(
            f"{path}: no `{SALT_KEY}`: run `python -m components secret init --stack "
            f"{path.name.removeprefix('Pulumi.').removesuffix('.yaml')}` first"
        )
    try:
        crypter = crypter_from_salt(passphrase, str(salt))
    except IncorrectPassphraseError:
        raise StackFileError(
            f"{path}: incorrect passphrase: the `{SALT_KEY}` check value does not decrypt"
        ) from None
    except PassphraseError as error:
        raise StackFileError(f"{path}: {error}") from None
    ciphertext = crypter.encrypt(plaintext)
    config = document.get("config")
    if config is None:
        config = CommentedMap()
        document["config"] = config
    if not isinstance(config, CommentedMap):
        raise StackFileError(f"{path}: `config` must be a mapping of key to value")
    secure = CommentedMap()
    secure["secure"] = ciphertext
    namespace, _, name = key.partition(":")
    top, *inner = name.split(".")
    parts = [f"{namespace}:{top}", *inner]
    target = config
    for part in parts[:-1]:
        child = target.get(part)
        if child is None:
            child = CommentedMap()
            target[part] = child
        if not isinstance(child, CommentedMap):
            raise StackFileError(f"{path}: {key}: {part} is a value, not an object")
        target = child
    target[parts[-1]] = secure
    _edit_save(path, document)
    return ciphertext
