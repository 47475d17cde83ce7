"""docker-container-no-plaintext-secret-env, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess
from components.plan.recording import RecordedResource

from .conftest import (
    UNKNOWN,
    check,
    container,
    diagnostics,
    is_not_run,
    not_run_names,
    not_run_prefix,
    resource,
    secret,
    violating_names,
)

POLICY = "docker-container-no-plaintext-secret-env"
DESCRIPTION = (
    "Docker containers receive secret-looking environment variables (passwords, tokens, keys) "
    "only as Pulumi secrets, never in plain text."
)
VALUE = "hunter2-plain"
BASE_ENVS = ["POSTGRES_USER=app", "TZ=UTC", secret("POSTGRES_PASSWORD=s3cr3t-from-config")]


def violation(name: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n`envs` sets {name} in plain text.")


def not_run(index: int) -> tuple[str, str, str]:
    return (
        POLICY,
        "advisory",
        not_run_prefix(POLICY) + f"string value at .envs.{index} can't be known during preview",
    )


def with_envs(name: str, *entries: Any) -> RecordedResource:
    return container(name, envs=[*BASE_ENVS, *entries])


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


@pytest.mark.parametrize(
    "name",
    [
        "POSTGRES_PASSWORD",
        "SMTP_PASSWD",
        "JWT_SECRET",
        "SECRET_KEY_BASE",
        "GITHUB_TOKEN",
        "STRIPE_API_KEY",
        "OPENAI_APIKEY",
        "SSH_PRIVATE_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "LIVEKIT_KEY",
        "RABBITMQ_DEFAULT_PASS",
        "db_password",
        "Grafana_Admin_Token",
    ],
)
def test_each_plain_secret_is_one_violation(pack: PolicyPackProcess, name: str) -> None:
    mutated = with_envs("db", f"{name}={VALUE}")
    found = check(pack, mutated)
    assert diagnostics(found) == [violation(name)]
    assert found[0].urn == mutated.urn
    assert VALUE not in found[0].message


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(secret(f"API_TOKEN={VALUE}"), id="secret-entry"),
        pytest.param("POSTGRES_PASSWORD_FILE=/run/secrets/pg", id="file-path"),
        pytest.param("SSH_KEY_FILE=/run/secrets/key", id="key-file-path"),
        pytest.param("API_TOKEN=", id="empty-value"),
        pytest.param("API_TOKEN", id="no-value"),
        pytest.param("PASSTHROUGH=1", id="pass-inside-a-word"),
        pytest.param("KEYCLOAK_URL=https://id.example.com", id="key-prefix"),
        pytest.param("TZ=Europe/Berlin", id="not-secret-looking"),
        pytest.param("MYSQL_ALLOW_EMPTY_PASSWORD=", id="mysql-switch"),
        pytest.param("MYSQL_RANDOM_ROOT_PASSWORD=yes", id="mysql-random-switch"),
        pytest.param("allow_empty_password=no", id="bitnami-switch-any-case"),
    ],
)
def test_non_violations(pack: PolicyPackProcess, entry: Any) -> None:
    assert check(pack, with_envs("db", entry)) == []


def test_whole_secret_list_passes(pack: PolicyPackProcess) -> None:
    envs = secret(["POSTGRES_USER=app", f"POSTGRES_PASSWORD={VALUE}", f"API_TOKEN={VALUE}"])
    assert check(pack, container("db", envs=envs)) == []


def test_every_plain_secret_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = container(
        "db",
        envs=[f"B_TOKEN={VALUE}", "TZ=UTC", secret(f"C_SECRET={VALUE}"), f"A_PASSWORD={VALUE}"],
    )
    assert diagnostics(check(pack, mutated)) == [violation("B_TOKEN"), violation("A_PASSWORD")]


def test_allowed_names_from_config(unconfigured_pack: PolicyPackProcess) -> None:
    mutated = with_envs("db", "MAIL_PASSWORD_HINT=12", f"API_TOKEN={VALUE}")
    assert diagnostics(check(unconfigured_pack, mutated)) == [
        violation("MAIL_PASSWORD_HINT"),
        violation("API_TOKEN"),
    ]
    unconfigured_pack.configure({POLICY: {"allowedNames": ["mail_password_hint"]}})
    assert diagnostics(check(unconfigured_pack, mutated)) == [violation("API_TOKEN")]


def test_unknown_entry_is_deferred_after_known_violations(pack: PolicyPackProcess) -> None:
    mutated = container("db", envs=[f"A_TOKEN={VALUE}", UNKNOWN, f"B_TOKEN={VALUE}", UNKNOWN])
    assert diagnostics(check(pack, mutated)) == [
        violation("A_TOKEN"),
        violation("B_TOKEN"),
        not_run(1),
    ]


def test_unknown_secret_passes_without_being_read(pack: PolicyPackProcess) -> None:
    # Output.concat("DB_PASSWORD=", random_password.result) during preview: secret and unknown.
    for envs in (["TZ=UTC", secret(UNKNOWN)], secret(UNKNOWN)):
        found = check(pack, container("db", envs=envs))
        assert [v for v in found if v.policy == POLICY] == [], envs


FIXTURES = [
    container("pass_baseline"),
    container("pass_no_envs", envs=None),
    container("pass_secret_list", envs=secret([f"API_TOKEN={VALUE}"])),
    with_envs("pass_secret_entry", secret(f"ACCESS_KEY={VALUE}")),
    with_envs("pass_file", "MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/mongo"),
    resource("docker:index/image:Image", "pass_not_a_container", {"envs": [f"API_TOKEN={VALUE}"]}),
    with_envs("pass_unknown_secret_entry", secret(UNKNOWN)),
    container("pass_unknown_secret_list", envs=secret(UNKNOWN)),
    with_envs("fail_password", f"POSTGRES_PASSWORD={VALUE}"),
    with_envs("fail_token", f"api_token={VALUE}"),
    with_envs("fail_key_suffix", f"ENCRYPTION_KEY={VALUE}"),
    with_envs("fail_before_unknown", f"SMTP_PASS={VALUE}", UNKNOWN),
    container("unknown_envs", envs=UNKNOWN),
    with_envs("unknown_entry", UNKNOWN),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {
        n for n in names if n.startswith("unknown_") or n == "fail_before_unknown"
    }
    # Other policies may also defer on an unknown_* resource, but report no violation.
    assert {v.policy for v in violations if not is_not_run(v)} == {POLICY}
    assert all(VALUE not in v.message for v in violations)
