"""`python -m components secret init|encrypt|verify`: stack files the Pulumi CLI can read."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from components.plan.passphrase import crypter_from_salt
from tests.secrets.example import run_cli

PHRASE = "test-passphrase"
ENV = {"PULUMI_CONFIG_PASSPHRASE": PHRASE}
STACK_TEXT = """\
# header comment survives
config:
  platform:host:
    name: ax102 # trailing comment survives
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.demo.yaml").write_text(STACK_TEXT)
    return tmp_path


def _load(path: Path) -> dict[str, object]:
    document = YAML(typ="safe", pure=True).load(path.read_text())
    assert isinstance(document, dict)
    return document


def test_init_then_encrypt_writes_values_the_provider_decrypts(tmp_path: Path) -> None:
    project = _project(tmp_path)
    common = ["--stack", "demo", "--project", str(project)]
    assert run_cli("secret", "init", *common, env=ENV).returncode == 0
    key_text = "-----BEGIN EXAMPLE-----\nline\n-----END EXAMPLE-----\n"
    result = run_cli(
        "secret", "encrypt", *common, "platform:sshPrivateKey", env=ENV, stdin=key_text
    )
    assert result.returncode == 0, result.stderr
    stack_file = project / "Pulumi.demo.yaml"
    text = stack_file.read_text()
    assert text.startswith("# header comment survives\nencryptionsalt: v1:")
    assert "name: ax102 # trailing comment survives\n" in text
    document = _load(stack_file)
    crypter = crypter_from_salt(PHRASE, str(document["encryptionsalt"]))
    config = document["config"]
    assert isinstance(config, dict)
    # As `pulumi config set` reading stdin: one trailing newline removed, nothing else.
    assert crypter.decrypt(config["platform:sshPrivateKey"]["secure"]) == key_text[:-1]
    verify = run_cli("secret", "verify", *common, env=ENV)
    assert (verify.returncode, verify.stdout) == (0, "platform:sshPrivateKey: decrypts\n")


def test_init_refuses_to_replace_an_existing_salt(tmp_path: Path) -> None:
    project = _project(tmp_path)
    common = ["--stack", "demo", "--project", str(project)]
    assert run_cli("secret", "init", *common, env=ENV).returncode == 0
    before = (project / "Pulumi.demo.yaml").read_text()
    again = run_cli("secret", "init", *common, env=ENV)
    assert again.returncode == 2
    assert "already has an `encryptionsalt`" in again.stderr
    assert (project / "Pulumi.demo.yaml").read_text() == before


def test_encrypt_refuses_a_wrong_passphrase_a_bare_key_and_a_missing_salt(tmp_path: Path) -> None:
    project = _project(tmp_path)
    common = ["--stack", "demo", "--project", str(project)]
    no_salt = run_cli("secret", "encrypt", *common, "platform:x", env=ENV, stdin="v")
    assert no_salt.returncode == 2
    assert "no `encryptionsalt`: run `python -m components secret init --stack demo`" in (
        no_salt.stderr
    )
    assert run_cli("secret", "init", *common, env=ENV).returncode == 0
    wrong = run_cli(
        "secret", "encrypt", *common, "platform:x", env={"PULUMI_CONFIG_PASSPHRASE": "nope"}
    )
    assert wrong.returncode == 2
    assert "incorrect passphrase" in wrong.stderr
    bare = run_cli("secret", "encrypt", *common, "sshPrivateKey", env=ENV, stdin="v")
    assert bare.returncode == 2
    assert "config key 'sshPrivateKey' must be namespace:name" in bare.stderr
    assert "secure" not in (project / "Pulumi.demo.yaml").read_text()


def test_without_a_passphrase_or_a_terminal_the_cli_says_how_to_give_one(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = run_cli("secret", "init", "--stack", "demo", "--project", str(project))
    assert result.returncode == 2
    assert result.stderr.endswith(
        "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
        "PULUMI_CONFIG_PASSPHRASE_FILE environment variables\n"
    )
    assert "encryptionsalt" not in (project / "Pulumi.demo.yaml").read_text()


def test_a_dotted_key_is_a_path_into_an_object(tmp_path: Path) -> None:
    # As `pulumi config set --secret --path 'platform:secrets.ax102.apiToken'`.
    project = _project(tmp_path)
    common = ["--stack", "demo", "--project", str(project)]
    assert run_cli("secret", "init", *common, env=ENV).returncode == 0
    for key, value in (("platform:secrets.ax102.apiToken", "t1"), ("platform:secrets.db.pw", "p")):
        result = run_cli("secret", "encrypt", *common, key, env=ENV, stdin=value)
        assert result.returncode == 0, result.stderr
    document = _load(project / "Pulumi.demo.yaml")
    crypter = crypter_from_salt(PHRASE, str(document["encryptionsalt"]))
    secrets = document["config"]["platform:secrets"]
    assert crypter.decrypt(secrets["ax102"]["apiToken"]["secure"]) == "t1"
    assert crypter.decrypt(secrets["db"]["pw"]["secure"]) == "p"
