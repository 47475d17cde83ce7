"""One secret-name rule for every rule that reads names (lib.secret_names), and both
plaintext-secret rules agree on it through the pack."""

from __future__ import annotations

import sys

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import PACK_DIR, container, resource

sys.path.insert(0, str(PACK_DIR))  # the pack's modules import as the pack process does

from lib.secret_names import is_secret_name

SECRET = ["SMTP_PASS", "DB_PASSWORD", "API_TOKEN", "AWS_SECRET_ACCESS_KEY", "LIVEKIT_KEY", "pass"]
NOT_SECRET = [
    "SSH_PUBLIC_KEY",
    "SSH_HOST_KEY",
    "DB_PASSWORD_FILE",
    "PASSWORD_MIN_LENGTH",
    "TOKEN_TTL",
    "PASSTHROUGH",
    "BYPASS_CACHE",
    "MYSQL_ALLOW_EMPTY_PASSWORD",
    "AWS_ACCESS_KEY_ID",
]


@pytest.mark.parametrize("name", SECRET)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", NOT_SECRET)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_both_rules_agree(pack: PolicyPackProcess) -> None:
    names = SECRET + NOT_SECRET
    env = container("env", envs=[f"{n}=plain-value" for n in names])
    command = resource(
        "command:remote:Command",
        "cmd",
        {"create": "true", "environment": dict.fromkeys(names, "plain-value")},
    )
    found = pack.check([env, command])

    def flagged(policy: str) -> set[str]:
        return {
            n for n in names for v in found if v.policy == policy and f" {n} " in v.message + " "
        }

    env_rule = flagged("docker-container-no-plaintext-secret-env")
    command_rule = flagged("command-no-plaintext-secret")
    assert env_rule == set(SECRET)
    assert command_rule == set(SECRET)
