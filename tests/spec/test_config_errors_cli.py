"""A bad stack file stops ``python -m components plan`` before anything is declared.

Each case writes a copy of Pulumi.prod.yaml with one mistake, then checks the CLI (exit status
2, the problem on stderr, nothing on stdout), ``plan_stack`` (raises ``SpecError``: the library
never returns a clean-looking result for a bad config) and the program itself under the mock
runtime (only the root stack registered). Every case goes through the CLI's ``main``
in-process; a few also run as real ``python -m components`` processes, started together because
each costs ~2 s of CPU (importing Pulumi and the providers).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from components.__main__ import main
from components.plan import StackFileError, plan_stack, read_stack_config, run_program
from components.plan.stack_file import read_project_name
from components.plan.stack_spec import read_stack_spec
from components.spec import SpecError

ROOT = Path(__file__).resolve().parents[2]
PROD_FILE = ROOT / "Pulumi.prod.yaml"
STACK_TYPE = "pulumi:pulumi:Stack"
PLAINTEXT_KEY = "PLAINTEXT-KEY-5b1d0e-never-print-me"
KNOWN_NAMESPACES = "command, digitalocean, docker, hcloud, platform, proxmoxve, pulumi, tls"

Config = dict[str, Any]


def prod_config() -> Config:
    config: Config = yaml.safe_load(PROD_FILE.read_text())["config"]
    return config


def _outside_subnet(config: Config) -> None:
    config["platform:guests"]["livekit"]["address"] = "10.0.1.10"


def _forward_ssh(config: Config) -> None:
    config["platform:services"]["npm"].setdefault("expose", []).append(
        {"kind": "forward", "protocol": "tcp", "ports": 22}
    )


def _reversed_ports(config: Config) -> None:
    config["platform:services"]["livekit"]["expose"][0]["ports"] = "60000-50000"


def _typo_key(config: Config) -> None:
    config["platform:guests"]["livekit"]["memory"] = 4096


def _misspelt_namespace(config: Config) -> None:
    config["platfrom:networks"] = copy.deepcopy(config["platform:networks"])


def _unknown_kind(config: Config) -> None:
    config["platform:hosts"]["ax102"]["kind"] = "vmware"


def _database_forward(config: Config) -> None:
    config["platform:services"]["redis"]["expose"].append(
        {"kind": "forward", "protocol": "tcp", "ports": 6380}
    )


def _unknown_machine(config: Config) -> None:
    config["platform:services"]["backend"]["machine"] = "backnd"


def _missing_secret(config: Config) -> None:
    del config["platform:secrets"]["ax102"]["apiToken"]


def _plaintext_secret(config: Config) -> None:
    config["platform:secrets"]["ax102"]["sshPrivateKey"] = PLAINTEXT_KEY


def _unknown_secret_reference(config: Config) -> None:
    config["platform:services"]["redis"]["env"]["REDIS_PASSWORD"] = {"secret": "redis.pasword"}


def _duplicate_vm_id(config: Config) -> None:
    # The `secure:` form `pulumi config set --secret` writes stays; the plan never decrypts it.
    config["platform:guests"]["egress"]["vmId"] = 110


CASES: dict[str, tuple[Callable[[Config], None], str]] = {
    "address-outside-subnet": (
        _outside_subnet,
        "platform:guests.livekit.address: 10.0.1.10 is outside the NAT bridge subnet 10.0.0.0/24",
    ),
    "forward-tcp-22": (
        _forward_ssh,
        "platform:services.npm.expose[0]: 22 is reserved: the host needs tcp 22 for SSH to the "
        "Proxmox host; forward another port",
    ),
    "reversed-ports": (
        _reversed_ports,
        "platform:services.livekit.expose[0].ports: 60000-50000 is reversed: write the range "
        "low-high, as 50000-60000",
    ),
    "unknown-key": (
        _typo_key,
        "platform:guests.livekit.memory: is not a known key; allowed keys: address, cores, "
        "description, diskGb, host, hostname, memoryMb, reservedMemoryMb, startOrder, "
        "stateful, swapMb, vmId",
    ),
    "misspelt-namespace": (
        _misspelt_namespace,
        "platfrom:networks: is in the namespace platfrom, which nothing reads; did you mean "
        f"platform:networks? Known namespaces: {KNOWN_NAMESPACES}",
    ),
    "unknown-kind": (
        _unknown_kind,
        "platform:hosts.ax102.kind: vmware is not a known kind; allowed kinds: proxmox, droplet, "
        "hcloud, ssh",
    ),
    "database-forward": (
        _database_forward,
        "platform:services.redis.expose[1]: forward tcp 6380 would open redis:7.4.2 (Redis) to "
        "the internet; a database stays internal: reach it over a network, or a private "
        "exposure between guests",
    ),
    "unknown-machine": (
        _unknown_machine,
        "platform:services.backend.machine: backnd is not a host or guest; known: agents, "
        "backend, egress, frontend, livekit, monitoring, proxy",
    ),
    "missing-secret": (
        _missing_secret,
        "platform:secrets.ax102.apiToken: is required (Proxmox API token, "
        "USER@REALM!TOKENID=UUID) by the proxmox host ax102; set it with `pulumi config set "
        "--secret --path 'platform:secrets.ax102.apiToken' <value>`",
    ),
    "plaintext-secret": (
        _plaintext_secret,
        "platform:secrets.ax102.sshPrivateKey: is stored in plaintext; store secrets encrypted "
        "with `pulumi config set --secret --path 'platform:secrets.ax102.sshPrivateKey' "
        "<value>`",
    ),
    "unknown-secret-reference": (
        _unknown_secret_reference,
        "platform:services.redis.env.REDIS_PASSWORD.secret: redis.pasword is not under "
        "platform:secrets; set it with `pulumi config set --secret --path "
        "'platform:secrets.redis.pasword' <value>`",
    ),
    "duplicate-vmid-with-secure-secrets": (
        _duplicate_vm_id,
        "platform:guests.egress.vmId: 110 is already the vmId of platform:guests.livekit on host "
        "ax102; each guest needs its own vmId",
    ),
}


# The cases that also run as a subprocess: the canonical example, a key only the stack-file
# layer sees (a misspelt namespace), a plaintext secret leaf, and `secure:` values as written.
SUBPROCESS_CASES = [
    "address-outside-subnet",
    "misspelt-namespace",
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
    # sort_keys=False: entries keep config order, and messages name the later duplicate.
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
def test_plan_stack_raises_the_problem(tmp_path: Path, case: str) -> None:
    _, expected = CASES[case]
    with pytest.raises(SpecError) as caught:
        plan_stack(ROOT, "prod", config_file=write_stack_file(tmp_path, case))
    assert str(caught.value) == expected
    assert [str(problem) for problem in caught.value.problems] == [expected]


# Found by reading the stack file, before the program runs: the Pulumi runtime tells a program
# only which top-level keys hold a secret, so a plaintext leaf of platform:secrets is invisible
# to it (plan_stack reads the file; see components/plan/__init__.py).
STACK_FILE_ONLY = {"plaintext-secret"}


@pytest.mark.parametrize("case", [c for c in CASES if c not in STACK_FILE_ONLY])
def test_the_program_declares_nothing(tmp_path: Path, case: str) -> None:
    # What plan_stack runs, without the raise: the recorded registrations themselves.
    config = read_stack_config(write_stack_file(tmp_path, case))
    run = run_program(
        ROOT / "__main__.py",
        project=read_project_name(ROOT),
        stack="prod",
        config=config.values,
        secret_keys=config.secret_keys,
    )
    assert [resource.type for resource in run.resources] == [STACK_TYPE]
    assert run.error is not None
    assert "invalid stack config" in str(run.error)


def test_every_problem_at_once_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = prod_config()
    for case in ("misspelt-namespace", "unknown-key", "database-forward", "plaintext-secret"):
        CASES[case][0](config)
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    assert main(["plan", "prod", "--config", str(stack_file), "--project", str(ROOT)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    # The stack-file finding first, then the secrets, the fields and the cross-field rules.
    assert err.splitlines() == [
        "error: invalid stack config:",
        CASES["misspelt-namespace"][1],
        CASES["plaintext-secret"][1],
        CASES["unknown-key"][1],
        CASES["database-forward"][1],
    ]
    assert PLAINTEXT_KEY not in err


def test_a_key_written_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = PROD_FILE.read_text()
    assert text.count("      vmId: 110\n") == 1
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(text.replace("      vmId: 110\n", "      vmId: 110\n      vmId: 120\n"))
    line = text[: text.index("      vmId: 110\n")].count("\n") + 1
    expected = (
        f"{stack_file}: a key is written twice: platform:guests.livekit.vmId is 120 on line "
        f"{line + 1} and 110 on line {line}; keep one"
    )
    assert main(["plan", "prod", "--config", str(stack_file), "--project", str(ROOT)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: {expected}\n")
    with pytest.raises(StackFileError) as caught:
        plan_stack(ROOT, "prod", config_file=stack_file)
    assert str(caught.value) == expected


def test_a_secret_written_twice_is_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = PROD_FILE.read_text()
    stack_file = tmp_path / "Pulumi.prod.yaml"
    secrets = text.index("  platform:secrets:\n")
    at = text.index("    redis:\n", secrets) + len("    redis:\n")
    stack_file.write_text(text[:at] + f"      password: {PLAINTEXT_KEY}\n" + text[at:])
    assert main(["plan", "prod", "--config", str(stack_file), "--project", str(ROOT)]) == 2
    _, err = capsys.readouterr()
    assert "platform:secrets.redis.password is [secret] on line" in err
    assert PLAINTEXT_KEY not in err


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
    # ax102's API token and SSH key, livekit's API key and secret, the Redis password, NPM's
    # admin and bootstrap passwords, the two restic passwords and the Storage Box key, the two
    # alert webhooks and Grafana's admin password.
    assert len(ciphertexts) == 13
    run = subprocess.run(
        _plan_command("--json"), check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr
    plan = json.loads(run.stdout)
    assert set(plan) == {"stack", "resources", "outputs", "violations", "exceptions"}
    # Exactly the exceptions prod declares (platform:services.<name>.policyExceptions), each
    # named by the service's config path, and those of the exporters platform:monitoring adds
    # on every guest: cAdvisor's Docker API and read-only host paths (/, /sys, /var/lib/docker;
    # /var/run holds the socket, the socket rule's), the node exporter's read-only /.
    exceptions = sorted(
        (e["policy"], e["urn"].rpartition("::")[2], e["configPath"]) for e in plan["exceptions"]
    )
    guests = prod_config()["platform:guests"]
    added = sorted(
        [
            *(("docker-container-no-docker-socket", f"cadvisor-{g}-container") for g in guests),
            *(
                ("docker-container-no-sensitive-host-path", f"cadvisor-{g}-container")
                for g in guests
                for _ in range(3)
            ),
            *(
                ("docker-container-no-sensitive-host-path", f"node-exporter-{g}-container")
                for g in guests
            ),
        ]
    )
    assert [e for e in exceptions if e[2] == "platform:monitoring"] == [
        (*a, "platform:monitoring") for a in added
    ]
    assert [e for e in exceptions if e[2] != "platform:monitoring"] == [
        ("docker-container-no-host-namespace", "livekit-container", "platform:services.livekit"),
        (
            "docker-container-no-risky-capabilities",
            "egress-container",
            "platform:services.egress",
        ),
    ]
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


def test_a_misspelt_namespace_hides_nothing(tmp_path: Path) -> None:
    # `platfrom:hosts` instead of `platform:hosts`: the namespace, and everything that then
    # misses its hosts, in one error.
    config = prod_config()
    config["platfrom:hosts"] = config.pop("platform:hosts")
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    with pytest.raises(SpecError) as caught:
        read_stack_spec(stack_file)
    guests = ("proxy", "livekit", "egress", "agents", "backend", "frontend", "monitoring")
    assert str(caught.value).splitlines() == [
        "platfrom:hosts: is in the namespace platfrom, which nothing reads; did you mean "
        f"platform:hosts? Known namespaces: {KNOWN_NAMESPACES}",
        "platform:hosts: is required: Hosts by name: kind proxmox, droplet, hcloud or ssh.",
        *(
            f"platform:guests.{guest}.host: ax102 is not a host; guests run on a Proxmox host: "
            "none declared"
            for guest in guests
        ),
    ]


def test_known_namespaces_are_those_of_the_registered_host_kinds() -> None:
    # Each host kind names the providers it declares; the HostSpec union is the registry, and
    # the hosts/ builder registry serves exactly those kinds.
    from components.hosts import HOST_BUILDERS  # noqa: PLC0415
    from components.spec.platform import host_kinds  # noqa: PLC0415

    kinds = {get_args(k.model_fields["kind"].annotation)[0]: k.PROVIDERS for k in host_kinds()}
    assert set(kinds) == set(HOST_BUILDERS) == {"proxmox", "droplet", "hcloud", "ssh"}
    assert kinds["droplet"] == ("docker", "command", "tls", "digitalocean")
    assert kinds["proxmox"] == ("proxmoxve", "command", "docker")
    assert ", ".join(sorted({"platform", "pulumi", *sum(kinds.values(), ())})) == KNOWN_NAMESPACES
