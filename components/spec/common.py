"""Value types shared by every part of the spec: names, keys, images and shell-safe text.

Each type's error says what is allowed, so a message built from it names the value, the rule
and (through the loader) the config path.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr

_HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_INTERFACE_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# Text that reaches a shell command line (host scripts, pct, ssh). Letters, digits and the
# punctuation of names, paths and addresses only: no quote, space, `$`, `;`, `|`, `&`, `(`...
_SHELL_SAFE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+=,-]*$")
SHELL_SAFE_ALLOWED = (
    "letters, digits and . _ - : / @ + = , starting with a letter or digit (no spaces or shell "
    "metacharacters)"
)

# OpenSSH public key types and the name their base64 blob must start with (RFC 4253 6.6).
SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def _hostname(value: str) -> str:
    if not _HOSTNAME_RE.fullmatch(value):
        raise ValueError(
            "is not a valid hostname: 1-63 lower-case letters, digits and hyphens, "
            "not starting or ending with a hyphen"
        )
    return value


def _name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise ValueError(
            "is not a valid name: a lower-case letter, then lower-case letters, digits or "
            "hyphens, at most 31 characters"
        )
    return value


def _interface_name(value: str) -> str:
    if not _INTERFACE_RE.fullmatch(value):
        raise ValueError(
            "is not a valid Linux interface name: 1-15 letters, digits, '_', '.', '-', "
            "starting with a letter"
        )
    return value


def _domain(value: str) -> str:
    if not _DOMAIN_RE.fullmatch(value):
        raise ValueError(
            "is not a fully qualified domain name: lower-case labels of letters, digits and "
            "hyphens separated by dots, such as app.example.com"
        )
    return value


def _shell_safe(value: str) -> str:
    if not _SHELL_SAFE_RE.fullmatch(value):
        raise ValueError(f"reaches a shell command line; use only {SHELL_SAFE_ALLOWED}")
    return value


def check_ssh_public_key(value: str) -> str:
    """An OpenSSH public key line: ``TYPE BASE64 [comment]`` whose blob names the same type."""
    parts = value.strip().split(None, 2)
    allowed = f"`TYPE BASE64 [comment]` with TYPE one of {', '.join(SSH_KEY_TYPES)}"
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        raise ValueError(f"is not an OpenSSH public key; expected {allowed}")
    try:
        fields = _ssh_strings(base64.b64decode(parts[1], validate=True))
        inner = fields[0].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError, ValueError, IndexError):
        raise ValueError(
            f"is not an OpenSSH public key: its key data is not valid base64 of a {parts[0]} key"
        ) from None
    # The blob is the type name, then the key itself (RFC 4253 6.6, RFC 8709 4): a name alone,
    # or an ed25519 key of another length than 32 bytes, is a truncated or damaged key.
    if len(fields) < 2 or (inner == "ssh-ed25519" and len(fields[1]) != 32):
        raise ValueError(
            f"is not an OpenSSH public key: its key data is not valid base64 of a {parts[0]} key"
        )
    if inner != parts[0]:
        raise ValueError(
            f"is not an OpenSSH public key: the line says {parts[0]} but the key data is "
            f"{inner or 'unreadable'}"
        )
    if len(parts) == 3:
        _shell_safe_comment(parts[2])
    return value.strip()


def _ssh_strings(blob: bytes) -> list[bytes]:
    """Split a key blob into its length-prefixed strings; ValueError unless they fill it."""
    fields: list[bytes] = []
    while blob:
        (length,) = struct.unpack(">I", blob[:4])
        if length > len(blob) - 4:
            raise ValueError("truncated")
        fields.append(blob[4 : 4 + length])
        blob = blob[4 + length :]
    return fields


def _shell_safe_comment(comment: str) -> None:
    # Keys are written into authorized_keys by host scripts: a comment is free text, but never
    # a quote, backslash or newline that could end the heredoc or quoted string around it.
    if any(ch in comment for ch in "'\"\\`$\n\r"):
        raise ValueError("has a key comment with quotes, `$`, backslashes or newlines")


Hostname = Annotated[str, AfterValidator(_hostname)]
Name = Annotated[str, AfterValidator(_name)]
InterfaceName = Annotated[str, AfterValidator(_interface_name)]
DomainName = Annotated[str, AfterValidator(_domain)]
ShellSafe = Annotated[str, AfterValidator(_shell_safe)]
SshPublicKey = Annotated[str, AfterValidator(check_ssh_public_key)]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    # Fields that failed their own validation, in a partial model the loader builds for the
    # cross-field rules (see ``partial``); a model that validated has none.
    _failed: frozenset[str] = PrivateAttr(default=frozenset())


class SecretRef(Strict):
    secret: Annotated[
        str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$")
    ] = Field(
        description="Dotted path of the value under platform:secrets, e.g. mysql.rootPassword."
    )


def reserved_memory_field() -> Any:
    """``reservedMemoryMb`` of a machine that runs a Docker engine (a cloud server, a guest):
    the one description, the default computed by components/derive/memory.py."""
    return Field(
        default=None,
        ge=0,
        description="Memory in MiB kept out of the containers' limits for the system (kernel, "
        "sshd, journald, dockerd, containerd and its shims, the nightly restic jobs); null: "
        "the larger of 768 MiB and a tenth of the machine (docs/monitoring.md#sizing).",
    )
