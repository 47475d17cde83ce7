"""SSH key identities the program computes from key text.

- ``md5_fingerprint``: how DigitalOcean and Hetzner Cloud name a key in an account: the MD5 of
  the key blob in colon-separated hex (what `ssh-keygen -l -E md5` prints after ``MD5:``).
  Both refuse a second key with the same fingerprint in one account, so the program names the
  keys it uploads by it and skips the ones the operator lists as already there.
- ``public_key_of``: the public half of the program's own private key (the deploy key), so a
  key set that would lock the program out can be refused before it is written.

Both are checked against `ssh-keygen` in tests/render/test_ssh_keys.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization


def key_blob(public_key: str) -> str:
    """``TYPE BASE64`` of an OpenSSH public key line: the key without its comment."""
    parts = public_key.split()
    if len(parts) < 2:
        raise ValueError(f"not an OpenSSH public key line: {public_key!r}")
    return f"{parts[0]} {parts[1]}"


def md5_fingerprint(public_key: str) -> str:
    """``aa:bb:...``: the MD5 of the key's decoded blob, 16 colon-separated hex pairs."""
    try:
        blob = base64.b64decode(key_blob(public_key).split()[1], validate=True)
    except binascii.Error:
        raise ValueError(f"not an OpenSSH public key line: {public_key!r}") from None
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def public_key_of(private_key: str) -> str | None:
    """``TYPE BASE64`` of an OpenSSH (or PEM) private key without a passphrase; None when the
    text is not such a key (an offline plan's placeholder), which nothing can check."""
    data = private_key.strip().encode() + b"\n"
    loaders = (serialization.load_ssh_private_key, serialization.load_pem_private_key)
    for load in loaders:
        try:
            public = (
                load(data, password=None)
                .public_key()
                .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
            )
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue  # not a key, encrypted, or a kind SSH has no format for
        return key_blob(public.decode())
    return None


def holds_key(keys: Sequence[str], public_key: str) -> bool:
    """Whether ``keys`` (authorized_keys lines) hold ``public_key``, comments aside."""
    wanted = key_blob(public_key)
    return any(key_blob(key) == wanted for key in keys)
