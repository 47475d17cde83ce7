"""Pulumi's passphrase secrets provider, reproduced byte for byte so stack files stay compatible.

Source (github.com/pulumi/pulumi, read at commit 1b5949891b3c):

- ``sdk/go/common/resource/config/crypt.go``: ``NewSymmetricCrypterFromPassphrase`` derives the
  key with PBKDF2-HMAC-SHA256, 1,000,000 iterations, 32 bytes; ``symmetricCrypter`` encrypts
  with AES-256-GCM under a random 12-byte nonce and no associated data, and writes
  ``v1:<base64 nonce>:<base64 ciphertext+tag>`` (standard base64 with padding). Decryption
  splits on ``:`` into exactly three parts, requires ``v1`` and a 12-byte nonce.
- ``pkg/secrets/passphrase/manager.go``: ``NewPassphraseSecretsManager`` draws an 8-byte salt
  and stores ``encryptionsalt: v1:<base64 salt>:<the encryption of "pulumi">``;
  ``symmetricCrypterFromPhraseAndState`` splits the state with ``SplitN(state, ":", 3)`` and
  reports ``incorrect passphrase`` unless the check value decrypts to ``pulumi``;
  ``readPassphrase`` takes ``PULUMI_CONFIG_PASSPHRASE`` when it is set (even empty), else the
  file named by a non-empty ``PULUMI_CONFIG_PASSPHRASE_FILE``, whitespace-trimmed.
- ``sdk/go/common/util/logging/log.go``: ``replacements`` is the CLI's rule for hiding secret
  values in printed text (values shorter than 3 characters and ``true``/``false`` are left
  alone; the JSON-escaped form is hidden too); :func:`redact` follows it.

Pure: no Pulumi import, no I/O except reading the passphrase file named by the environment.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

VERSION = "v1"
ITERATIONS = 1_000_000
KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 8
TAG_BYTES = 16
CHECK_MESSAGE = "pulumi"
PASSPHRASE_ENV = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_ENV = "PULUMI_CONFIG_PASSPHRASE_FILE"
SECRET_MASK = "[secret]"


class PassphraseError(Exception):
    """A secure value, an encryption salt or a passphrase the provider cannot use."""


class IncorrectPassphraseError(PassphraseError):
    """The salt's check value does not decrypt under this passphrase."""


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PassphraseError(f"{what} {text!r} is not standard base64") from None


def parse_ciphertext(value: str) -> tuple[bytes, bytes]:
    """``v1:<nonce>:<ciphertext>`` -> (nonce, ciphertext with tag); the CLI's structural checks."""
    parts = value.split(":")
    if len(parts) != 3:
        raise PassphraseError(
            f"{value!r} is not v1:<base64 nonce>:<base64 ciphertext> (it has {len(parts)} parts)"
        )
    version, nonce_text, body_text = parts
    if version != VERSION:
        raise PassphraseError(f"{value!r} has version {version!r}; only {VERSION!r} exists")
    nonce = _b64decode(nonce_text, "nonce")
    if len(nonce) != NONCE_BYTES:
        raise PassphraseError(
            f"nonce {nonce_text!r} is {len(nonce)} bytes; AES-256-GCM needs {NONCE_BYTES}"
        )
    body = _b64decode(body_text, "ciphertext")
    if len(body) < TAG_BYTES:
        raise PassphraseError(
            f"ciphertext {body_text!r} is {len(body)} bytes, shorter than the {TAG_BYTES}-byte tag"
        )
    return nonce, body


@functools.lru_cache(maxsize=16)
def derive_key(passphrase: str, salt: bytes) -> bytes:
    """PBKDF2-HMAC-SHA256, 1,000,000 iterations (about a second: cached per passphrase and salt)."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, iterations=ITERATIONS)
    return kdf.derive(passphrase.encode())


@dataclass(frozen=True)
class Crypter:
    """AES-256-GCM under one derived key, in the provider's ``v1:`` text format."""

    key: bytes = field(repr=False)

    def encrypt(self, plaintext: str, nonce: bytes | None = None) -> str:
        nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
        if len(nonce) != NONCE_BYTES:
            raise ValueError(f"nonce must be {NONCE_BYTES} bytes")
        body = AESGCM(self.key).encrypt(nonce, plaintext.encode(), None)
        return ":".join((VERSION, _b64(nonce), _b64(body)))

    def decrypt(self, value: str) -> str:
        nonce, body = parse_ciphertext(value)
        try:
            plain = AESGCM(self.key).decrypt(nonce, body, None)
        except InvalidTag:
            raise PassphraseError(
                f"{value!r} does not decrypt under this key (wrong passphrase or altered value)"
            ) from None
        return plain.decode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _split_salt(encryption_salt: str) -> tuple[bytes, str]:
    parts = encryption_salt.split(":", 2)
    if len(parts) != 3:
        raise PassphraseError(
            f"encryptionsalt {encryption_salt!r} is not v1:<base64 salt>:<check value>"
        )
    if parts[0] != VERSION:
        raise PassphraseError(
            f"encryptionsalt {encryption_salt!r} has version {parts[0]!r}; only {VERSION!r} exists"
        )
    return _b64decode(parts[1], "encryptionsalt salt"), parts[2]


def check_encryption_salt(encryption_salt: str) -> None:
    """Structure only (no passphrase): what the CLI would reject before asking for one."""
    _, check_value = _split_salt(encryption_salt)
    parse_ciphertext(check_value)


def crypter_from_salt(passphrase: str, encryption_salt: str) -> Crypter:
    """The stack's crypter; :class:`IncorrectPassphraseError` unless the check value opens."""
    salt, check_value = _split_salt(encryption_salt)
    crypter = Crypter(derive_key(passphrase, salt))
    parse_ciphertext(check_value)
    try:
        opened = crypter.decrypt(check_value)
    except PassphraseError:
        raise IncorrectPassphraseError("incorrect passphrase") from None
    if opened != CHECK_MESSAGE:
        raise IncorrectPassphraseError("incorrect passphrase")
    return crypter


def new_encryption_salt(passphrase: str, salt: bytes | None = None) -> tuple[str, Crypter]:
    """A fresh ``encryptionsalt`` value and its crypter, as ``pulumi stack init`` makes them."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    crypter = Crypter(derive_key(passphrase, salt))
    return f"{VERSION}:{_b64(salt)}:{crypter.encrypt(CHECK_MESSAGE)}", crypter


def passphrase_from_env(environ: Mapping[str, str]) -> str | None:
    """The passphrase the CLI would use non-interactively, or None when neither variable is set."""
    if PASSPHRASE_ENV in environ:
        return environ[PASSPHRASE_ENV]
    path = environ.get(PASSPHRASE_FILE_ENV, "")
    if not path:
        return None
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise PassphraseError(
            f"unable to read {PASSPHRASE_FILE_ENV}={path}: {error.strerror}"
        ) from None


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value (and its JSON-escaped form) in ``text`` with ``[secret]``."""
    needles: set[str] = set()
    for secret in secrets:
        if len(secret) < 3 or secret.lower() in {"true", "false"}:
            continue
        needles.add(secret)
        needles.add(json.dumps(secret)[1:-1])
    # Longest first, so a secret that contains another is hidden whole.
    for needle in sorted(needles, key=len, reverse=True):
        text = text.replace(needle, SECRET_MASK)
    return text
