"""The offline plan's policy report: exceptions with reasons, config paths, each description
once, the stack's policyConfig merged over the file, and exit status 2 for a broken policy
config or a missing pack. Through a small project of its own and the real pack."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from components.plan import (
    PolicyConfigError,
    PolicyPackError,
    PolicyPackProcess,
    plan_stack,
    policy_config_for,
)
from components.plan.report import render_report

from .conftest import PACK_DIR, container
from .harness import except_label

ROOT = PACK_DIR.parent
LIVEKIT_REASON = "UDP media range 50000-60000 needs host networking"

# A program that declares what the library's container service will: labels, an exception,
# and the two stack outputs the plan reads.
PROGRAM = """
import pulumi
import pulumi_docker as docker

def hardened(name, **extra):
    base = dict(
        image="postgres:16.4", restart="unless-stopped", memory=256, cpus="1",
        ulimits=[{"name": "nproc", "soft": 256, "hard": 256}],
        healthcheck={"tests": ["CMD", "true"]}, security_opts=["no-new-privileges:true"],
        capabilities={"drops": ["ALL"]},
    )
    base.update(extra)
    return docker.Container(name, **base)

hardened("mysql", ports=[{"internal": 3306, "external": 3306}])
hardened("redis", ports=[{"internal": 6379, "external": 6379, "ip": "::"}])
hardened(
    "livekit",
    image="livekit/livekit-server:v1.8.4",
    network_mode="host",
    labels=[
        {"label": "selfhosted.service", "value": "livekit"},
        {"label": "selfhosted.policy.except.docker-container-no-host-namespace",
         "value": "LIVEKIT_REASON"},
    ],
)
pulumi.export("configPaths", {
    "mysql": "platform:services.mysql",
    "livekit": "platform:services.livekit",
})
pulumi.export("policyConfig", {
    "cloud-firewall-restricted-inbound": {
        "mediaPorts": [{"protocol": "udp", "ports": "40000-40100"}],
    },
})
pulumi.export("token", pulumi.Output.secret("s3cr3t"))
""".replace("LIVEKIT_REASON", LIVEKIT_REASON)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: reporttest\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(PROGRAM)
    shutil.copytree(
        PACK_DIR, tmp_path / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__")
    )
    return tmp_path


def test_report_names_config_paths_exceptions_and_each_description_once(project: Path) -> None:
    result = plan_stack(project, "dev")
    db_port = "docker-container-no-public-database-port"
    found = [(v.policy, v.urn.rpartition("::")[2], v.config_path) for v in result.violations]
    assert (db_port, "mysql", "platform:services.mysql") in found
    assert (db_port, "redis", "") in found  # not declared in configPaths
    assert [
        (e.policy, e.urn.rpartition("::")[2], e.reason, e.source, e.message, e.config_path)
        for e in result.exceptions
    ] == [
        (
            "docker-container-no-host-namespace",
            "livekit",
            LIVEKIT_REASON,
            "label selfhosted.policy.except.docker-container-no-host-namespace",
            "`networkMode` is host.",
            "platform:services.livekit",
        )
    ]
    assert result.outputs["token"] == "[secret]"
    assert result.outputs["configPaths"]["mysql"] == "platform:services.mysql"

    text = render_report(result)
    description = "Docker containers never publish a database port on a public address."
    assert text.count(description) == 1
    assert "(from platform:services.mysql)" in text
    assert "Port 3306/tcp (MySQL/MariaDB) is published as 3306 on 0.0.0.0." in text
    assert "Exceptions applied: 1" in text
    assert f"reason: {LIVEKIT_REASON}" in text

    as_json = result.as_json()
    assert as_json["exceptions"] == [e.as_json() for e in result.exceptions]
    mysql = [v for v in as_json["violations"] if v["urn"].endswith("::mysql")]  # type: ignore[union-attr,index]
    assert {v["configPath"] for v in mysql} == {"platform:services.mysql"}


def test_stack_policy_config_wins_per_key(project: Path) -> None:
    merged = policy_config_for(project, "dev")
    firewall = merged["cloud-firewall-restricted-inbound"]
    assert firewall["mediaPorts"] == [{"protocol": "udp", "ports": "40000-40100"}]
    shipped = json.loads((PACK_DIR / "policy-config.json").read_text())
    assert firewall["publicPorts"] == shipped["cloud-firewall-restricted-inbound"]["publicPorts"]


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "components", *args, "--project", str(project)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_policy_config_command_writes_the_merged_file(project: Path) -> None:
    out = project / "out" / "policy-config.json"
    result = _cli(project, "policy-config", "dev", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text()) == policy_config_for(project, "dev")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            '{"uplink-single-mac": ',
            "policy-config.json: not valid JSON: Expecting value at line 1 column 23",
            id="bad-json",
        ),
        pytest.param(
            '{"uplink-singel-mac": {}}',
            "policy-config.json: uplink-singel-mac: no such policy in the pack (it has: ",
            id="unknown-policy",
        ),
        pytest.param(
            '{"uplink-single-mac": {"uplinkBridges": "vmbr0"}}',
            "policy-config.json: uplink-single-mac.uplinkBridges: must be array, not a string "
            '("vmbr0")',
            id="wrong-type",
        ),
        pytest.param(
            '{"uplink-single-mac": {"uplinkBridge": []}}',
            "policy-config.json: uplink-single-mac.uplinkBridge: no such key for this policy; "
            "allowed: enforcementLevel, allowedMacs, exceptions, uplinkBridges",
            id="unknown-key",
        ),
        pytest.param(
            '{"uplink-single-mac": {"exceptions": {"vmbr0": 1}}}',
            "policy-config.json: uplink-single-mac.exceptions.vmbr0: must be string, not a "
            "number (1)",
            id="exception-reason-not-text",
        ),
        pytest.param(
            '{"uplink-single-mac": "loud"}',
            'policy-config.json: uplink-single-mac.enforcementLevel: "loud" is not a level',
            id="bad-level",
        ),
    ],
)
def test_broken_policy_config_exits_2_naming_file_and_key(
    project: Path, content: str, message: str
) -> None:
    (project / "policies" / "policy-config.json").write_text(content)
    with pytest.raises(PolicyConfigError):
        plan_stack(project, "dev")
    result = _cli(project, "plan", "dev")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: invalid policy config: ")
    assert str(project / "policies" / "policy-config.json") in lines[0]
    assert message in lines[0]


def test_every_problem_is_one_line(project: Path) -> None:
    (project / "policies" / "policy-config.json").write_text(
        '{"nope": {}, "uplink-single-mac": {"uplinkBridges": "vmbr0", "x": 1}}'
    )
    result = _cli(project, "plan", "dev")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 3


def test_missing_pack_exits_2(project: Path) -> None:
    shutil.rmtree(project / "policies")
    with pytest.raises(PolicyPackError):
        plan_stack(project, "dev")
    result = _cli(project, "plan", "dev")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {project / 'policies'}: no policy pack here (no PulumiPolicy.yaml)"
    )


def test_the_engine_sees_nothing_of_an_exception() -> None:
    """Without the plan's explain mode (as under `pulumi preview`) an excepted violation is
    silent, and the same violation without the label is reported."""
    policy = "docker-container-no-host-namespace"
    excepted = container("livekit", networkMode="host", labels=[except_label(policy, "media")])
    plain = container("other", networkMode="host")
    with PolicyPackProcess(PACK_DIR, explain_exceptions=False) as engine_like:
        findings = engine_like.findings([excepted, plain])
    assert findings.exceptions == []
    assert [v.urn.rpartition("::")[2] for v in findings.violations if v.policy == policy] == [
        "other"
    ]
