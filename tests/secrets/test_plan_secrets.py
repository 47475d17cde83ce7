"""The offline plan with and without a passphrase: decrypted for the program, shown as [secret]."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from components.plan import PlanResult, plan_stack
from components.plan.recording import SECRET_SIG_KEY
from components.plan.stack_file import OFFLINE_SECRET, encrypt_config_value, read_stack_config
from tests.secrets.example import EXAMPLE_PASSPHRASE, run_cli
from tests.stacks import ROOT

PASS = {"PULUMI_CONFIG_PASSPHRASE": EXAMPLE_PASSPHRASE}


def _token_inputs(result: PlanResult) -> object:
    (provider,) = [r for r in result.resources if r.type == "pulumi:providers:proxmoxve"]
    return provider.inputs["apiToken"]


def test_with_the_passphrase_the_program_receives_the_decrypted_secret() -> None:
    expected = read_stack_config(ROOT / "Pulumi.prod.yaml", EXAMPLE_PASSPHRASE)
    token = json.loads(expected.values["platform:secrets"])["ax102"]["apiToken"]
    result = plan_stack(ROOT, "prod", passphrase=EXAMPLE_PASSPHRASE)
    wrapped = _token_inputs(result)
    assert isinstance(wrapped, dict)
    assert SECRET_SIG_KEY in wrapped
    assert wrapped["value"] == token
    assert token.startswith("pulumi@pve!example=")


def test_without_a_passphrase_the_program_receives_secret_placeholders() -> None:
    wrapped = _token_inputs(plan_stack(ROOT, "prod"))
    assert isinstance(wrapped, dict)
    assert SECRET_SIG_KEY in wrapped
    assert wrapped["value"] == OFFLINE_SECRET


def test_cli_plan_decrypts_from_the_variable_and_prints_only_placeholders() -> None:
    plain = read_stack_config(ROOT / "Pulumi.prod.yaml", EXAMPLE_PASSPHRASE).secret_values
    for output_flag in (["--json"], []):
        result = run_cli("plan", "prod", *output_flag, env=PASS)
        assert result.returncode == 0, result.stderr
        if output_flag:  # the text report shows no inputs; the JSON shows them all
            assert json.loads(result.stdout)["resources"]
            assert '"apiToken": "[secret]"' in result.stdout
        for value in plain:
            assert value not in result.stdout
            assert json.dumps(value)[1:-1] not in result.stdout


def test_cli_plan_reads_the_passphrase_file(tmp_path: Path) -> None:
    phrase = tmp_path / "passphrase"
    phrase.write_text(EXAMPLE_PASSPHRASE + "\n")
    result = run_cli("plan", "prod", "--json", env={"PULUMI_CONFIG_PASSPHRASE_FILE": str(phrase)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stack"] == "prod"


def test_cli_plan_with_a_wrong_passphrase_is_a_config_error() -> None:
    result = run_cli("plan", "prod", env={"PULUMI_CONFIG_PASSPHRASE": "not-the-passphrase"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {ROOT / 'Pulumi.prod.yaml'}: incorrect passphrase: the `encryptionsalt` check "
        "value does not decrypt with the passphrase from PULUMI_CONFIG_PASSPHRASE or "
        "PULUMI_CONFIG_PASSPHRASE_FILE\n"
    )


def test_cli_plan_with_an_unreadable_passphrase_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = run_cli("plan", "prod", env={"PULUMI_CONFIG_PASSPHRASE_FILE": str(missing)})
    assert result.returncode == 2
    assert f"unable to read PULUMI_CONFIG_PASSPHRASE_FILE={missing}" in result.stderr


def test_malformed_secure_values_fail_even_without_a_passphrase(tmp_path: Path) -> None:
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    (ciphertext,) = re.findall(r"apiToken:\n        secure: (\S+)", text)
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(text.replace(ciphertext, "v1:cGxhY2Vob2xkZXI=:AAAA"))
    result = run_cli("plan", "prod", "--config", str(stack_file))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {stack_file}: platform:secrets.ax102.apiToken: secure value nonce "
        "'cGxhY2Vob2xkZXI=' "
        "is 11 bytes; AES-256-GCM needs 12",
    ]


def test_a_secret_that_leaks_unwrapped_is_still_printed_as_secret(tmp_path: Path) -> None:
    # A secret whose plaintext also appears in the plan (here: a resource name) is hidden
    # wherever it shows, as the Pulumi CLI's log filter hides config secrets.
    project = tmp_path / "project"
    skip = shutil.ignore_patterns(".venv", ".tools", ".git", "*cache*")
    shutil.copytree(ROOT, project, ignore=skip)
    encrypt_config_value(
        project / "Pulumi.prod.yaml", "docker:leak", "ax102-nat-ruleset", EXAMPLE_PASSPHRASE
    )
    result = run_cli("plan", "prod", "--json", "--project", str(project), env=PASS)
    assert result.returncode == 0, result.stderr
    assert "ax102-nat-ruleset" not in result.stdout
    assert "ax102-[secret]" not in result.stdout
    assert "::[secret]" in result.stdout
