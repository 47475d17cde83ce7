"""The passphrase provider against Pulumi's own values and an independent KDF.

Vectors produced by the real Pulumi CLI, copied from github.com/pulumi/pulumi:
- pkg/secrets/passphrase/manager_test.go: the state
  ``v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==`` opens with
  ``password`` and not with ``password123``.
- tests/roundtrip/roundtrip_test.go: a stack file written by ``pulumi`` under the passphrase
  ``TestConfigRoundtripComments``, with its encryptionsalt and one ``secure:`` value.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from components.plan.passphrase import (
    CHECK_MESSAGE,
    Crypter,
    IncorrectPassphraseError,
    PassphraseError,
    crypter_from_salt,
    derive_key,
    new_encryption_salt,
    parse_ciphertext,
    passphrase_from_env,
    redact,
)
from tests.stacks import ROOT

MANAGER_TEST_STATE = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="
ROUNDTRIP_SALT = "v1:ThS5UPxP9qc=:v1:UZYAXF+ylaJ0rGhv:9OTvBnOEDFgxs7btjzSu+LZ470vLpg=="
ROUNDTRIP_SECURE = "v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA=="
# The placeholder the stack file used to carry: an 11-byte "nonce" the CLI rejects.
OLD_PLACEHOLDER = "v1:cGxhY2Vob2xkZXI=:cmVwbGFjZSB3aXRoIHB1bHVtaSBjb25maWcgc2V0IC0tc2VjcmV0"


def test_pulumis_own_state_opens_with_its_passphrase_only() -> None:
    crypter_from_salt("password", MANAGER_TEST_STATE)
    with pytest.raises(IncorrectPassphraseError, match=r"^incorrect passphrase$"):
        crypter_from_salt("password123", MANAGER_TEST_STATE)


def test_a_secure_value_written_by_the_pulumi_cli_decrypts() -> None:
    crypter = crypter_from_salt("TestConfigRoundtripComments", ROUNDTRIP_SALT)
    assert crypter.decrypt(ROUNDTRIP_SECURE) == "secret-value"


def test_key_derivation_is_pbkdf2_sha256_with_a_million_rounds() -> None:
    salt = base64.b64decode("fozI5u6B030=")
    expected = hashlib.pbkdf2_hmac("sha256", b"password", salt, 1_000_000, 32)
    assert derive_key("password", salt) == expected


def test_encryption_is_aes_256_gcm_in_the_v1_text_format() -> None:
    crypter = Crypter(bytes(range(32)))
    value = crypter.encrypt("hello", nonce=b"\x01" * 12)
    version, nonce, body = value.split(":")
    assert (version, base64.b64decode(nonce)) == ("v1", b"\x01" * 12)
    assert len(base64.b64decode(body)) == len("hello") + 16  # ciphertext + GCM tag
    assert crypter.decrypt(value) == "hello"
    assert crypter.encrypt("hello") != crypter.encrypt("hello")  # a fresh nonce each time


def test_a_new_salt_carries_the_encrypted_check_message() -> None:
    state, crypter = new_encryption_salt("s3cret", salt=b"\x00" * 8)
    version, salt, check = state.split(":", 2)
    assert (version, salt) == ("v1", "AAAAAAAAAAA=")
    assert crypter.decrypt(check) == CHECK_MESSAGE
    crypter_from_salt("s3cret", state)
    with pytest.raises(IncorrectPassphraseError):
        crypter_from_salt("S3cret", state)


def test_an_altered_ciphertext_fails_authentication() -> None:
    crypter = crypter_from_salt("TestConfigRoundtripComments", ROUNDTRIP_SALT)
    version, nonce, body = ROUNDTRIP_SECURE.split(":")
    raw = bytearray(base64.b64decode(body))
    raw[0] ^= 1
    altered = f"{version}:{nonce}:{base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(PassphraseError, match="does not decrypt under this key"):
        crypter.decrypt(altered)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (OLD_PLACEHOLDER, "nonce 'cGxhY2Vob2xkZXI=' is 11 bytes; AES-256-GCM needs 12"),
        ("v1:abc", "it has 2 parts"),
        ("v2:T1ftqhY0hqr+EJK6:AAAA", "has version 'v2'; only 'v1' exists"),
        ("v1:T1ftqhY0hqr+EJK6:not base64!", "ciphertext 'not base64!' is not standard base64"),
        ("v1:T1ftqhY0hqr+EJK6:AAAA", "shorter than the 16-byte tag"),
    ],
)
def test_malformed_values_are_refused_like_the_cli_does(value: str, message: str) -> None:
    with pytest.raises(PassphraseError, match=message.replace("(", r"\(").replace("+", r"\+")):
        parse_ciphertext(value)


def test_passphrase_comes_from_the_variable_first_then_the_file(tmp_path: Path) -> None:
    phrase_file = tmp_path / "phrase"
    phrase_file.write_text("  from-file \n")
    assert passphrase_from_env({}) is None
    assert passphrase_from_env({"PULUMI_CONFIG_PASSPHRASE_FILE": ""}) is None
    assert passphrase_from_env({"PULUMI_CONFIG_PASSPHRASE_FILE": str(phrase_file)}) == "from-file"
    both = {"PULUMI_CONFIG_PASSPHRASE": "", "PULUMI_CONFIG_PASSPHRASE_FILE": str(phrase_file)}
    assert passphrase_from_env(both) == ""  # set but empty is a passphrase, as in the CLI
    with pytest.raises(PassphraseError, match="unable to read PULUMI_CONFIG_PASSPHRASE_FILE="):
        passphrase_from_env({"PULUMI_CONFIG_PASSPHRASE_FILE": str(tmp_path / "missing")})


def test_redaction_follows_the_cli_filter() -> None:
    text = 'token=abc123 json="line1\\nline2" short=ab flag=true'
    shown = redact(text, ["abc123", "line1\nline2", "ab", "true"])
    assert shown == 'token=[secret] json="[secret]" short=ab flag=true'


def test_the_provider_module_is_pure() -> None:
    # Loaded on its own (not through components.plan, which runs programs): no Pulumi import.
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('passphrase', sys.argv[1])\n"
        "module = sys.modules['passphrase'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "module.crypter_from_salt('password', sys.argv[2])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pulumi', 'components'}))\n"
    )
    module_path = ROOT / "components" / "plan" / "passphrase.py"
    result = subprocess.run(
        [sys.executable, "-c", code, str(module_path), MANAGER_TEST_STATE],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "[]\n"
