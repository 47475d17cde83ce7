"""A bad stack file stops ``python -m components plan`` before anything is declared.

Each case writes a copy of Pulumi.prod.yaml with one mistake, then checks the CLI (exit status
2, the problem on stderr, nothing on stdout) and ``plan_stack`` (``config_error`` set, only the
root stack registered). Every case goes through the CLI's ``main`` in-process; a few also run
as real ``python -m components`` processes, started together because each costs ~2 s of CPU
(importing Pulumi and the providers).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.__main__ import main
from components.plan import plan_stack
from components.spec import SpecError

ROOT = Path(__file__).resolve().parents[2]
PROD_FILE = ROOT / "Pulumi.prod.yaml"
STACK_TYPE = "pulumi:pulumi:Stack"
PLAINTEXT_KEY = "PLAINTEXT-KEY-5b1d0e-never-print-me"

Config = dict[str, Any]


def prod_config() -> Config:
    config: Config = yaml.safe_load(PROD_FILE.read_text())["config"]
    return config


def _outside_subnet(config: Config) -> None:
    config["platform:services"]["livekit"]["address"] = "10.0.1.10"


def _forward_ssh(config: Config) -> None:
    config["platform:forwards"].append({"protocol": "tcp", "ports": 22, "to": "proxy"})


def _reversed_ports(config: Config) -> None:
    config["platform:forwards"][2]["ports"] = "60000-50000"


def _typo_key(config: Config) -> None:
    config["platform:natbridge"] = config["platform:natBridge"]


def _bare_bridge_address(config: Config) -> None:
    config["platform:natBridge"]["address"] = "10.0.0.1"


def _missing_services(config: Config) -> None:
    del config["platform:services"]


def _missing_secret(config: Config) -> None:
    del config["platform:proxmoxApiToken"]


def _plaintext_secret(config: Config) -> None:
    config["platform:sshPrivateKey"] = PLAINTEXT_KEY


def _secure_placeholders(config: Config) -> None:
    # The form `pulumi config set --secret` writes; the plan never decrypts it.
    config["platform:proxmoxApiToken"] = {"secure": "v1:xxx"}
    config["platform:sshPrivateKey"] = {"secure": "v1:xxx"}
    config["platform:services"]["egress"]["vmId"] = 110


CASES: dict[str, tuple[Callable[[Config], None], str]] = {
    "address-outside-subnet": (
        _outside_subnet,
        "platform:services.livekit.address: 10.0.1.10 is outside the NAT bridge subnet 10.0.0.0/24",
    ),
    "forward-tcp-22": (
        _forward_ssh,
        "platform:forwards[4].ports: 22 is reserved: the host needs tcp 22 for SSH to the "
        "Proxmox host; forward another port",
    ),
    "reversed-ports": (
        _reversed_ports,
        "platform:forwards[2].ports: 60000-50000 is reversed: write the range low-high, "
        "as 50000-60000",
    ),
    "unknown-key": (
        _typo_key,
        "platform:natbridge: is not a known key; allowed keys: containerSshKeys, forwards, host, "
        "natBridge, proxmoxApiToken, services, sshPrivateKey",
    ),
    "bridge-address-without-prefix": (
        _bare_bridge_address,
        "platform:natBridge.address: 10.0.0.1 is not a valid IPv4 address with prefix, "
        "such as 10.0.0.1/24",
    ),
    "missing-services": (
        _missing_services,
        "platform:services: is required: LXC services by name (lower-case, e.g. livekit).",
    ),
    "missing-secret": (
        _missing_secret,
        "platform:proxmoxApiToken: is required (Proxmox API token, USER@REALM!TOKENID=UUID); "
        "set it with `pulumi config set --secret platform:proxmoxApiToken <value>`",
    ),
    "plaintext-secret": (
        _plaintext_secret,
        "platform:sshPrivateKey: is stored in plaintext (private key (OpenSSH PEM) for SSH to "
        "the Proxmox host); store it encrypted with "
        "`pulumi config set --secret platform:sshPrivateKey <value>`",
    ),
    "duplicate-vmid-with-secure-secrets": (
        _secure_placeholders,
        "platform:services.egress.vmId: 110 is already the vmId of platform:services.livekit; "
        "each service needs its own vmId",
    ),
}


# The cases that also run as a subprocess: the canonical example, a key only the Pulumi layer
# lists (a typo), a plaintext secret, and `secure:` placeholders as `pulumi config` writes them.
SUBPROCESS_CASES = [
    "address-outside-subnet",
    "unknown-key",
    "plaintext-secret",
    "duplicate-vmid-with-secure-secrets",
]


@dataclass(frozen=True)
class CliRun:
    stack_file: Path
    returncode: int
    stdout: str
    stderr: str


def _plan_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "components", "plan", "prod", *args]


def write_stack_file(directory: Path, case: str) -> Path:
    mutate, _ = CASES[case]
    config = prod_config()
    mutate(config)
    stack_file = directory / f"Pulumi.{case}.yaml"
    # sort_keys=False: service order is config order, and messages name the later duplicate.
    stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return stack_file


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, CliRun]]:
    """Write the subprocess cases' stack files and run the CLI on all of them at once."""
    directory = tmp_path_factory.mktemp("stacks")
    started: dict[str, tuple[Path, subprocess.Popen[str]]] = {}
    try:
        for name in SUBPROCESS_CASES:
            stack_file = write_stack_file(directory, name)
            started[name] = (
                stack_file,
                subprocess.Popen(
                    _plan_command("--config", str(stack_file)),
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        runs = {}
        for name, (stack_file, process) in started.items():
            stdout, stderr = process.communicate(timeout=120)
            runs[name] = CliRun(stack_file, process.returncode, stdout, stderr)
        yield runs
    finally:
        for _, process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_cli_process_exits_2_with_the_problem(cli_runs: dict[str, CliRun], case: str) -> None:
    run = cli_runs[case]
    _, expected = CASES[case]
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == ["error: invalid stack config:", expected]
    assert run.stdout == ""
    assert PLAINTEXT_KEY not in run.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_cli_main_exits_2_with_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    stack_file = write_stack_file(tmp_path, case)
    _, expected = CASES[case]
    status = main(["plan", "prod", "--config", str(stack_file), "--project", str(ROOT)])
    out, err = capsys.readouterr()
    assert status == 2
    assert err == f"error: invalid stack config:\n{expected}\n"
    assert out == ""
    assert PLAINTEXT_KEY not in err


@pytest.mark.parametrize("case", list(CASES))
def test_plan_stack_declares_nothing(tmp_path: Path, case: str) -> None:
    _, expected = CASES[case]
    result = plan_stack(ROOT, "prod", config_file=write_stack_file(tmp_path, case))
    assert isinstance(result.config_error, SpecError)
    assert str(result.config_error) == expected
    assert [resource.type for resource in result.resources] == [STACK_TYPE]
    assert result.violations == []


def _ciphertexts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            yield value["secure"]
            return
        for item in value.values():
            yield from _ciphertexts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ciphertexts(item)


def test_prod_plans_cleanly_as_json() -> None:
    ciphertexts = list(_ciphertexts(prod_config()))
    assert len(ciphertexts) == 2
    run = subprocess.run(
        _plan_command("--json"), check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)
    assert set(plan) == {"stack", "resources", "outputs", "violations", "exceptions"}
    assert plan["exceptions"] == []
    assert plan["stack"] == "prod"
    assert [r["type"] for r in plan["resources"]].count(STACK_TYPE) == 1
    assert len(plan["resources"]) > 1
    assert [v for v in plan["violations"] if v["level"] == "mandatory"] == []
    for ciphertext in ciphertexts:
        assert ciphertext not in run.stdout
        assert ciphertext.removeprefix("v1:") not in run.stdout
        for part in ciphertext.removeprefix("v1:").split(":"):
            assert part not in run.stdout
    assert '"[secret]"' in run.stdout
