"""docker-container-no-plaintext-secret-env: names by lib.secret_names, values never shown."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import container, resource, secret
from ..harness import RuleCases, fails, passes, unknown

VALUE = "hunter2-plain"
BASE_ENVS = ["POSTGRES_USER=app", "TZ=UTC", secret("POSTGRES_PASSWORD=s3cr3t-from-config")]
SECRET_NAMES = (
    "POSTGRES_PASSWORD",
    "SMTP_PASSWD",
    "SMTP_PASS",
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
)
NOT_SECRET = (
    "POSTGRES_PASSWORD_FILE=/run/secrets/pg",
    "SSH_KEY_FILE=/run/secrets/key",
    "SSH_PUBLIC_KEY=ssh-ed25519 AAAA",
    "API_TOKEN=",
    "API_TOKEN",
    "PASSTHROUGH=1",
    "KEYCLOAK_URL=https://id.example.com",
    "TZ=Europe/Berlin",
    "MYSQL_ALLOW_EMPTY_PASSWORD=",
    "MYSQL_RANDOM_ROOT_PASSWORD=yes",
    "allow_empty_password=no",
    "MAIL_PASSWORD_HINT=12",  # allowed by the config below
)


def plain(name: str) -> str:
    return f"`envs` sets {name} in plain text."


def with_envs(name: str, *entries: Any) -> Any:
    return container(name, envs=[*BASE_ENVS, *entries])


CASES = RuleCases(
    config={"allowedNames": ["mail_password_hint"]},
    cases=[
        passes(container("pass_baseline")),
        passes(container("pass_no_envs", envs=None)),
        passes(container("pass_secret_list", envs=secret([f"API_TOKEN={VALUE}"]))),
        passes(with_envs("pass_secret_entry", secret(f"ACCESS_KEY={VALUE}"))),
        *(passes(with_envs(f"pass_not_secret_{i}", e)) for i, e in enumerate(NOT_SECRET)),
        passes(
            resource(
                "docker:index/image:Image", "pass_not_a_container", {"envs": [f"API_TOKEN={VALUE}"]}
            )
        ),
        # Output.concat("DB_PASSWORD=", random_password.result) in preview: secret and unknown.
        passes(with_envs("pass_unknown_secret_entry", secret(UNKNOWN))),
        passes(container("pass_unknown_secret_list", envs=secret(UNKNOWN))),
        *(fails(with_envs(f"fail_{n.lower()}", f"{n}={VALUE}"), plain(n)) for n in SECRET_NAMES),
        fails(
            container(
                "fail_in_order",
                envs=[
                    f"B_TOKEN={VALUE}",
                    "TZ=UTC",
                    secret(f"C_SECRET={VALUE}"),
                    f"A_PASSWORD={VALUE}",
                ],
            ),
            plain("B_TOKEN"),
            plain("A_PASSWORD"),
        ),
        unknown(container("unknown_envs", envs=UNKNOWN), ".envs"),
        unknown(with_envs("unknown_entry", UNKNOWN), ".envs.3"),
        unknown(
            container(
                "unknown_after_known",
                envs=[f"A_TOKEN={VALUE}", UNKNOWN, f"B_TOKEN={VALUE}", UNKNOWN],
            ),
            ".envs.1",
            plain("A_TOKEN"),
            plain("B_TOKEN"),
        ),
    ],
)
