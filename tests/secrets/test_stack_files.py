"""Every committed stack file carries real passphrase-provider secrets (example passphrase)."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from components.plan.passphrase import CHECK_MESSAGE, crypter_from_salt
from components.plan.stack_file import discover_stacks, read_stack_config
from tests.secrets.example import EXAMPLE_PASSPHRASE
from tests.stacks import ROOT

STACKS = discover_stacks(ROOT)


def _secure_values(node: object, where: str) -> list[tuple[str, str]]:
    if isinstance(node, dict) and set(node) == {"secure"}:
        return [(where, str(node["secure"]))]
    if isinstance(node, dict):
        return [pair for k, v in node.items() for pair in _secure_values(v, f"{where}.{k}")]
    if isinstance(node, list):
        return [pair for i, v in enumerate(node) for pair in _secure_values(v, f"{where}[{i}]")]
    return []


def test_the_stacks_are_discovered_from_their_files() -> None:
    assert {"prod", "staging"} <= set(STACKS)


def test_the_stack_files_carry_secure_values() -> None:
    count = sum(
        len(_secure_values(YAML(typ="safe", pure=True).load(p.read_text()).get("config"), ""))
        for p in ROOT.glob("Pulumi.*.yaml")
    )
    assert count >= 3  # prod's two credentials and staging's token, at least


@pytest.mark.parametrize("stack", STACKS)
def test_salt_check_value_and_every_secure_value_decrypt(stack: str) -> None:
    document = YAML(typ="safe", pure=True).load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    crypter = crypter_from_salt(EXAMPLE_PASSPHRASE, document["encryptionsalt"])
    assert crypter.decrypt(document["encryptionsalt"].split(":", 2)[2]) == CHECK_MESSAGE
    for where, ciphertext in _secure_values(document.get("config") or {}, ""):
        plain = crypter.decrypt(ciphertext)
        # Committed values are examples anyone can decrypt: they must say so.
        assert "example" in plain.lower(), f"{stack}{where} does not read as an example value"


@pytest.mark.parametrize("stack", STACKS)
def test_the_file_warns_that_its_secrets_are_examples(stack: str) -> None:
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    assert "EXAMPLE SECRETS" in text
    assert f"`{EXAMPLE_PASSPHRASE}`" in text


@pytest.mark.parametrize("stack", STACKS)
def test_the_plan_reader_decrypts_the_same_values(stack: str) -> None:
    config = read_stack_config(ROOT / f"Pulumi.{stack}.yaml", EXAMPLE_PASSPHRASE)
    assert config.secret_keys
    assert len(config.secret_values) >= len(config.secret_keys)
    for key in config.secret_keys:
        assert "example" in config.values[key].lower(), key
