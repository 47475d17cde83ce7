"""Key identities against `ssh-keygen`: the MD5 fingerprint and the public half of a key."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.render.ssh_keys import holds_key, key_blob, md5_fingerprint, public_key_of
from tests.tools import tool

from .tools import KeyPair, make_keypair, run


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa"])
def test_md5_fingerprint_is_ssh_keygens(kind: str, tmp_path: Path) -> None:
    path = tmp_path / kind
    run([tool("ssh-keygen"), "-q", "-t", kind, "-N", "", "-C", "c@d", "-f", str(path)])
    public = (tmp_path / f"{kind}.pub").read_text().strip()
    printed = run([tool("ssh-keygen"), "-l", "-E", "md5", "-f", f"{path}.pub"]).stdout
    assert md5_fingerprint(public) == printed.split()[1].removeprefix("MD5:")


def test_public_half_is_ssh_keygens(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    for pair in (keys["admin"], make_keypair(tmp_path, "second", "x@y")):
        derived = run([tool("ssh-keygen"), "-y", "-f", str(pair.private_path)]).stdout
        assert public_key_of(pair.private_openssh) == key_blob(derived)


def test_pem_rsa_private_key(tmp_path: Path) -> None:
    path = tmp_path / "pem"
    run([tool("ssh-keygen"), "-q", "-t", "rsa", "-m", "PEM", "-N", "", "-f", str(path)])
    assert path.read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    derived = run([tool("ssh-keygen"), "-y", "-f", str(path)]).stdout
    assert public_key_of(path.read_text()) == key_blob(derived)


@pytest.mark.parametrize(
    "text",
    [
        "offline-secret-placeholder",
        "EXAMPLE ONLY, not a key: put your OpenSSH private key here",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-ax102-private\n",
    ],
)
def test_text_that_is_no_key_has_no_public_half(text: str) -> None:
    assert public_key_of(text) is None


def test_a_passphrase_protected_key_cannot_be_checked(tmp_path: Path) -> None:
    path = tmp_path / "locked"
    run([tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "secret", "-f", str(path)])
    assert public_key_of(path.read_text()) is None


def test_holds_key_ignores_comments(keys: dict[str, KeyPair]) -> None:
    admin = keys["admin"]
    assert holds_key([f"{admin.public_key} other comment"], admin.public_openssh)
    assert not holds_key([keys["stranger"].public_openssh], admin.public_openssh)
