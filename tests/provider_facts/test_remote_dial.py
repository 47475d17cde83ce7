"""Every remote step the program declares keeps dialing long enough for a host to boot.

The dial schedule is pulumi-command's own (tests/provider_facts/remote_dial.py, with source
lines). The connections come from the program: every one is built by
components/hosts/connection.py (checked on the source), and the recorded ones of the stack
files carry its limits. A cloud server's connection is unknown in an offline plan (its address
is an output of the server), so the recorded check reads the Proxmox stack and an existing
`ssh` host; the cloud servers' readiness uses the same function (components/hosts/cloud/server.py).
"""

from __future__ import annotations

import ast
from typing import Any

import pytest

from components.hosts.connection import DIAL_ERROR_LIMIT, PER_DIAL_TIMEOUT_S
from components.hosts.ssh import ExistingServer, ExistingServerArgs
from components.plan import plan_stack, run_program
from components.plan.recording import SECRET_SIG_KEY
from components.spec import SshHostSpec
from tests.provider_facts.remote_dial import (
    DEFAULT_DIAL_ERROR_LIMIT,
    DEFAULT_PER_DIAL_TIMEOUT_S,
    refused_window_s,
    silent_window_s,
)
from tests.stacks import ROOT, ed25519_public_key
from tests.workflows.workflows import load

REMOTE_COMMAND = "command:remote:Command"
# A new cloud server answers SSH a minute or two after its create call returns (the image
# boots, cloud-init's init stage writes the host key and the admin user before sshd starts).
BOOT_S = 180.0
# A wrong address or key must still fail well within the workflow job's limit.
JOB_LIMIT_S = 60 * float(load("pulumi-stack.yml")["jobs"]["pulumi"]["timeout-minutes"])
CONNECTION_MODULE = ROOT / "components" / "hosts" / "connection.py"


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and SECRET_SIG_KEY in value:
        return _plain(value["value"])
    return value


def _check(where: str, connection: dict[str, Any]) -> None:
    limit = int(connection["dialErrorLimit"])
    timeout = int(connection["perDialTimeout"])
    assert limit >= 0, f"{where}: an unlimited dial never reports a wrong address"
    assert refused_window_s(limit) >= BOOT_S, (where, limit, refused_window_s(limit))
    assert 0 < timeout <= DEFAULT_PER_DIAL_TIMEOUT_S, (where, timeout)
    assert silent_window_s(limit, timeout) <= JOB_LIMIT_S / 2, (where, limit, timeout)


def test_the_default_gives_up_while_a_server_boots() -> None:
    # What the issue saw: ten failed dials of "connection refused" take about 11 s.
    assert 10 < refused_window_s(DEFAULT_DIAL_ERROR_LIMIT) < 12
    assert silent_window_s(DEFAULT_DIAL_ERROR_LIMIT, DEFAULT_PER_DIAL_TIMEOUT_S) < BOOT_S
    _check(
        "connection.py", {"dialErrorLimit": DIAL_ERROR_LIMIT, "perDialTimeout": PER_DIAL_TIMEOUT_S}
    )


def test_only_the_connection_module_builds_a_remote_connection() -> None:
    builders = []
    for path in sorted((ROOT / "components").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("ConnectionArgs", "ProxyConnectionArgs"):
                builders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert builders
    assert {b.rpartition(":")[0] for b in builders} == {str(CONNECTION_MODULE.relative_to(ROOT))}


def test_the_proxmox_stacks_remote_steps_carry_the_limits() -> None:
    commands = [r for r in plan_stack(ROOT, "prod").resources if r.type == REMOTE_COMMAND]
    assert len(commands) > 5  # host preparation, storage, guest keys and disks, readiness
    for resource in commands:
        connection = _plain(resource.inputs["connection"])
        assert isinstance(connection, dict), f"{resource.name}: {connection!r}"
        _check(f"prod: {resource.name}", connection)


def test_an_existing_servers_readiness_carries_the_limits() -> None:
    host = SshHostSpec.model_validate(
        {"kind": "ssh", "address": "192.0.2.20", "sshHostKey": ed25519_public_key("host")}
    )

    def program() -> None:
        ExistingServer(
            "old",
            ExistingServerArgs(
                host=host,
                admin_keys=[ed25519_public_key("admin")],
                private_key="KEY",
                private_key_path="platform:secrets.old.sshPrivateKey",
                project_dir="/srv/p",
                stack="s",
                networks=(),
            ),
        )

    run = run_program(program, project="p", stack="s", config={})
    assert run.error is None
    commands = [r for r in run.resources if r.type == REMOTE_COMMAND]
    assert {r.name for r in commands} == {"old-engine-ready", "old-ssh-keys"}
    for command in commands:  # the readiness and the authorized_keys step
        _check("ssh host", _plain(command.inputs["connection"]))


@pytest.mark.parametrize("stack", ["hub", "staging"])
def test_a_cloud_servers_connection_is_unknown_offline(stack: str) -> None:
    # Why the recorded check above cannot read these: the address is the server's output.
    commands = [r for r in plan_stack(ROOT, stack).resources if r.type == REMOTE_COMMAND]
    assert commands  # the readiness, the data volume and the authorized_keys steps
    for command in commands:
        assert not isinstance(_plain(command.inputs["connection"]), dict)
