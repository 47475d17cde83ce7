"""docker-container-no-default-credentials, through the pack process and the analyzer protocol."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess, Violation
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

POLICY = "docker-container-no-default-credentials"
DESCRIPTION = (
    "Docker containers of well-known services (RabbitMQ, Redis/Valkey, Mosquitto, "
    "MySQL/MariaDB, PostgreSQL, MongoDB) never run with default, empty or no credentials."
)

DIGEST = "sha256:" + "b" * 64
RABBITMQ = "rabbitmq:4.1-management"
RABBITMQ_ENVS = ["RABBITMQ_DEFAULT_USER=ops", secret("RABBITMQ_DEFAULT_PASS=from-config")]
REDIS = "redis:7.4"
VALKEY = "valkey/valkey:8.1"
BITNAMI_REDIS = "bitnami/redis:7.4"
MONGO = "mongo:8.0"
MOSQUITTO_2 = "eclipse-mosquitto:2.0.20"
MOSQUITTO_1 = "eclipse-mosquitto:1.6.15"
REQUIREPASS = ["redis-server", "--requirepass", secret("from-config")]
NO_REQUIREPASS = "No password: neither `command` nor `entrypoints` passes --requirepass."
ALLOW_EMPTY_ROOT = (
    "{} is set, which allows an empty root password (the image treats any non-empty value, "
    "even no or false, as yes)."
)
MOSQUITTO_OPEN = (
    "Mosquitto 1.6.15 has no configuration mounted at /mosquitto/config, so it allows "
    "anonymous clients on every interface."
)
ANONYMOUS_CONF = "listener 1883\nallow_anonymous true\n"
CONFIG_VOLUME = {"hostPath": "/srv/mosquitto/config", "containerPath": "/mosquitto/config"}


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def not_run(path: str) -> tuple[str, str, str]:
    return (
        POLICY,
        "advisory",
        not_run_prefix(POLICY) + f"string value at .{path} can't be known during preview",
    )


def service(name: str, image: str, envs: Any = None, **changes: Any) -> RecordedResource:
    """COMPLIANT_CONTAINER running ``image`` with its own ``envs`` (None: none at all)."""
    return container(name, image=image, envs=envs, **changes)


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


PASSING = [
    pytest.param(service("mq", RABBITMQ, RABBITMQ_ENVS), id="rabbitmq-own-credentials"),
    pytest.param(
        service(
            "mq",
            RABBITMQ,
            [secret("RABBITMQ_DEFAULT_USER=ops"), secret("RABBITMQ_DEFAULT_PASS=x")],
        ),
        id="rabbitmq-secret-entries",
    ),
    pytest.param(service("cache", REDIS, command=REQUIREPASS), id="redis-requirepass"),
    pytest.param(
        service("cache", REDIS, command=["redis-server", "--requirepass", UNKNOWN]),
        id="redis-unknown-password-accepted",
    ),
    pytest.param(
        service(
            "cache",
            REDIS,
            [secret("REDIS_PASSWORD=from-config")],
            command=["sh", "-c", 'exec redis-server --requirepass "$REDIS_PASSWORD"'],
        ),
        id="redis-requirepass-in-shell",
    ),
    pytest.param(
        service("cache", REDIS, entrypoints=["redis-server", "--requirepass", secret("x")]),
        id="redis-requirepass-in-entrypoints",
    ),
    pytest.param(service("cache", VALKEY, command=REQUIREPASS), id="valkey-requirepass"),
    pytest.param(
        service("cache", f"docker.io/library/{REDIS}", command=REQUIREPASS),
        id="redis-fully-qualified",
    ),
    pytest.param(
        service("cache", BITNAMI_REDIS, [secret("REDIS_PASSWORD=from-config")]),
        id="bitnami-redis-password",
    ),
    pytest.param(
        service("cache", BITNAMI_REDIS, ["REDIS_PASSWORD_FILE=/run/secrets/redis"]),
        id="bitnami-redis-password-file",
    ),
    pytest.param(
        service("cache", BITNAMI_REDIS, [secret("REDIS_PASSWORD=x"), "ALLOW_EMPTY_PASSWORD=no"]),
        id="bitnami-redis-allow-empty-no",
    ),
    pytest.param(
        service("sql", "mysql:8.4", [secret("MYSQL_ROOT_PASSWORD=x"), "MYSQL_DATABASE=app"]),
        id="mysql-root-password",
    ),
    pytest.param(
        service("sql", "mysql:8.4", ["MYSQL_RANDOM_ROOT_PASSWORD=yes"]),
        id="mysql-random-root-password",
    ),
    pytest.param(
        service(
            "sql", "mysql:8.4", [secret("MYSQL_ROOT_PASSWORD=x"), "MYSQL_ALLOW_EMPTY_PASSWORD="]
        ),
        id="mysql-allow-empty-empty-value",
    ),
    pytest.param(
        service(
            "sql",
            "mysql:8.4",
            [secret("MYSQL_ROOT_PASSWORD=x"), "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1"],
        ),
        id="mysql-ignores-mariadb-variable",
    ),
    pytest.param(
        service("sql", "mariadb:11.4", [secret("MARIADB_ROOT_PASSWORD=x")]),
        id="mariadb-root-password",
    ),
    pytest.param(
        container(
            "db", envs=["POSTGRES_HOST_AUTH_METHOD=scram-sha-256", secret("POSTGRES_PASSWORD=x")]
        ),
        id="postgres-scram",
    ),
    pytest.param(
        service(
            "docs",
            MONGO,
            ["MONGO_INITDB_ROOT_USERNAME=root", secret("MONGO_INITDB_ROOT_PASSWORD=x")],
        ),
        id="mongo-root-password",
    ),
    pytest.param(
        service(
            "docs",
            MONGO,
            ["MONGO_INITDB_ROOT_USERNAME=root", "MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/m"],
        ),
        id="mongo-root-password-file",
    ),
    pytest.param(service("mqtt", MOSQUITTO_2), id="mosquitto-2-loopback-only"),
    pytest.param(service("mqtt", f"eclipse-mosquitto@{DIGEST}"), id="mosquitto-digest-only-is-2"),
    pytest.param(
        service("mqtt", MOSQUITTO_2, volumes=[CONFIG_VOLUME]), id="mosquitto-2-configured"
    ),
    pytest.param(
        service("mqtt", MOSQUITTO_1, volumes=[CONFIG_VOLUME]), id="mosquitto-1-config-volume"
    ),
    pytest.param(
        service(
            "mqtt",
            MOSQUITTO_1,
            mounts=[
                {
                    "type": "bind",
                    "source": "/srv/mosquitto.conf",
                    "target": "/mosquitto/config/mosquitto.conf",
                }
            ],
        ),
        id="mosquitto-1-config-file-mount",
    ),
    pytest.param(
        service(
            "mqtt",
            MOSQUITTO_1,
            uploads=[
                {
                    "file": "/mosquitto/config/mosquitto.conf",
                    "content": "listener 1883\npassword_file /mosquitto/config/passwd\n",
                }
            ],
        ),
        id="mosquitto-1-uploaded-config",
    ),
    pytest.param(
        service(
            "mqtt",
            MOSQUITTO_1,
            command=["/usr/sbin/mosquitto", "-c", "/etc/mosquitto/site.conf"],
            volumes=[{"hostPath": "/srv/mosquitto", "containerPath": "/etc/mosquitto"}],
        ),
        id="mosquitto-1-other-config-file",
    ),
    pytest.param(service("web", "nginx:1.27", ["TZ=UTC"]), id="other-image"),
    pytest.param(
        service("web", "ghcr.io/acme/redis:7.4"), id="namespaced-lookalike-is-another-image"
    ),
]


@pytest.mark.parametrize("compliant", PASSING)
def test_compliant_services_pass(pack: PolicyPackProcess, compliant: RecordedResource) -> None:
    assert check(pack, compliant) == []


FAILING = [
    pytest.param(
        service("mq", RABBITMQ),
        [
            "RABBITMQ_DEFAULT_USER is not set, so RabbitMQ uses the default user guest.",
            "RABBITMQ_DEFAULT_PASS is not set, so RabbitMQ uses the default password guest.",
        ],
        id="rabbitmq-nothing-set",
    ),
    pytest.param(
        service("mq", RABBITMQ, ["RABBITMQ_DEFAULT_USER=guest", secret("RABBITMQ_DEFAULT_PASS=x")]),
        ["RABBITMQ_DEFAULT_USER is the default user guest."],
        id="rabbitmq-guest-user",
    ),
    pytest.param(
        service(
            "mq", RABBITMQ, ["RABBITMQ_DEFAULT_USER=ops", secret("RABBITMQ_DEFAULT_PASS=guest")]
        ),
        ["RABBITMQ_DEFAULT_PASS is the default password guest."],
        id="rabbitmq-guest-password-even-as-secret",
    ),
    pytest.param(
        service("mq", RABBITMQ, ["RABBITMQ_DEFAULT_USER=ops"]),
        ["RABBITMQ_DEFAULT_PASS is not set, so RabbitMQ uses the default password guest."],
        id="rabbitmq-password-missing",
    ),
    pytest.param(service("cache", REDIS), [NO_REQUIREPASS], id="redis-default"),
    pytest.param(service("cache", VALKEY), [NO_REQUIREPASS], id="valkey-default"),
    pytest.param(
        service("cache", REDIS, [secret("REDIS_PASSWORD=x")]),
        [
            "No password: neither `command` nor `entrypoints` passes --requirepass (the image "
            "does not read REDIS_PASSWORD)."
        ],
        id="redis-ignores-redis-password",
    ),
    pytest.param(
        service("cache", REDIS, command=["redis-server", "--requirepass", ""]),
        [NO_REQUIREPASS],
        id="redis-empty-requirepass",
    ),
    pytest.param(
        service("cache", REDIS, command=["redis-server", "--requirepass"]),
        [NO_REQUIREPASS],
        id="redis-requirepass-without-value",
    ),
    pytest.param(
        service("cache", REDIS, command=["redis-server", "--requirepass", "--port", "6380"]),
        [NO_REQUIREPASS],
        id="redis-requirepass-followed-by-option",
    ),
    pytest.param(
        service("cache", REDIS, command=["redis-server", "/usr/local/etc/redis/redis.conf"]),
        [NO_REQUIREPASS],
        id="redis-config-file-proves-nothing",
    ),
    pytest.param(
        service("cache", BITNAMI_REDIS),
        [
            "No password: REDIS_PASSWORD is not set, and neither `command` nor `entrypoints` "
            "passes --requirepass."
        ],
        id="bitnami-redis-no-password",
    ),
    pytest.param(
        service("cache", BITNAMI_REDIS, ["ALLOW_EMPTY_PASSWORD=yes"]),
        [
            "No password: REDIS_PASSWORD is not set, and neither `command` nor `entrypoints` "
            "passes --requirepass.",
            "ALLOW_EMPTY_PASSWORD is yes, which allows no password.",
        ],
        id="bitnami-redis-allow-empty",
    ),
    pytest.param(
        service("cache", BITNAMI_REDIS, [secret("REDIS_PASSWORD=x"), "ALLOW_EMPTY_PASSWORD=True"]),
        ["ALLOW_EMPTY_PASSWORD is True, which allows no password."],
        id="bitnami-redis-allow-empty-with-password",
    ),
    pytest.param(
        service("sql", "mysql:8.4", ["MYSQL_ALLOW_EMPTY_PASSWORD=yes"]),
        [ALLOW_EMPTY_ROOT.format("MYSQL_ALLOW_EMPTY_PASSWORD")],
        id="mysql-allow-empty",
    ),
    pytest.param(
        service("sql", "mysql:8.4", ["MYSQL_ALLOW_EMPTY_PASSWORD=no"]),
        [ALLOW_EMPTY_ROOT.format("MYSQL_ALLOW_EMPTY_PASSWORD")],
        id="mysql-allow-empty-no-is-yes",
    ),
    pytest.param(
        service("sql", "mariadb:11.4", ["MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1"]),
        [ALLOW_EMPTY_ROOT.format("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD")],
        id="mariadb-allow-empty",
    ),
    pytest.param(
        service("sql", "mariadb:11.4", ["MYSQL_ALLOW_EMPTY_PASSWORD=true"]),
        [ALLOW_EMPTY_ROOT.format("MYSQL_ALLOW_EMPTY_PASSWORD")],
        id="mariadb-reads-mysql-variable",
    ),
    pytest.param(
        service("sql", "bitnami/mariadb:11.4", ["ALLOW_EMPTY_PASSWORD=yes"]),
        ["ALLOW_EMPTY_PASSWORD is yes, which allows no password."],
        id="bitnami-mariadb-allow-empty",
    ),
    pytest.param(
        container("db", envs=["POSTGRES_HOST_AUTH_METHOD=trust"]),
        ["POSTGRES_HOST_AUTH_METHOD is trust, which lets every host in without a password."],
        id="postgres-trust",
    ),
    pytest.param(
        service(
            "db",
            "postgis/postgis:16-3.4",
            [secret("POSTGRES_PASSWORD=x"), "POSTGRES_HOST_AUTH_METHOD=TRUST"],
        ),
        ["POSTGRES_HOST_AUTH_METHOD is trust, which lets every host in without a password."],
        id="postgis-trust-any-case",
    ),
    pytest.param(
        service("db", "bitnami/postgresql:16", ["ALLOW_EMPTY_PASSWORD=1"]),
        ["ALLOW_EMPTY_PASSWORD is 1, which allows no password."],
        id="bitnami-postgresql-allow-empty",
    ),
    pytest.param(
        service("docs", MONGO),
        ["MONGO_INITDB_ROOT_PASSWORD is not set, so MongoDB runs without authentication."],
        id="mongo-no-password",
    ),
    pytest.param(
        service("docs", MONGO, ["MONGO_INITDB_ROOT_USERNAME=root", "MONGO_INITDB_ROOT_PASSWORD="]),
        ["MONGO_INITDB_ROOT_PASSWORD is not set, so MongoDB runs without authentication."],
        id="mongo-empty-password",
    ),
    pytest.param(
        service(
            "mqtt",
            MOSQUITTO_2,
            command=[
                "sh",
                "-c",
                "echo 'allow_anonymous  TRUE' >> /tmp/m.conf && mosquitto -c /tmp/m.conf",
            ],
        ),
        ["allow_anonymous true is set in the command."],
        id="mosquitto-anonymous-in-command",
    ),
    pytest.param(
        service("mqtt", MOSQUITTO_2, ["MOSQUITTO_CONF=listener 1883\nallow_anonymous true"]),
        ["allow_anonymous true is set in an environment variable."],
        id="mosquitto-anonymous-in-env",
    ),
    pytest.param(
        service(
            "mqtt",
            MOSQUITTO_2,
            uploads=[{"file": "/mosquitto/config/mosquitto.conf", "content": ANONYMOUS_CONF}],
        ),
        ["allow_anonymous true is set in an uploaded file."],
        id="mosquitto-anonymous-upload",
    ),
    pytest.param(
        service(
            "mqtt",
            MOSQUITTO_2,
            uploads=[
                {
                    "file": "/mosquitto/config/mosquitto.conf",
                    "contentBase64": base64.b64encode(ANONYMOUS_CONF.encode()).decode(),
                }
            ],
        ),
        ["allow_anonymous true is set in an uploaded file."],
        id="mosquitto-anonymous-upload-base64",
    ),
    pytest.param(service("mqtt", MOSQUITTO_1), [MOSQUITTO_OPEN], id="mosquitto-1-default"),
    pytest.param(
        service(
            "mqtt",
            MOSQUITTO_1,
            volumes=[{"volumeName": "mqdata", "containerPath": "/mosquitto/data"}],
        ),
        [MOSQUITTO_OPEN],
        id="mosquitto-1-data-volume-only",
    ),
    pytest.param(
        service(
            "mqtt",
            MOSQUITTO_1,
            command=["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"],
        ),
        [MOSQUITTO_OPEN],
        id="mosquitto-1-default-config-argument",
    ),
]


@pytest.mark.parametrize(("mutated", "messages"), FAILING)
def test_each_default_credential_is_one_violation(
    pack: PolicyPackProcess, mutated: RecordedResource, messages: list[str]
) -> None:
    found = check(pack, mutated)
    assert diagnostics(found) == [violation(m) for m in messages]
    assert {v.urn for v in found} == {mutated.urn}


def test_secret_values_never_appear_in_messages(pack: PolicyPackProcess) -> None:
    mutated = service(
        "mq",
        RABBITMQ,
        ["RABBITMQ_DEFAULT_USER=guest", secret("RABBITMQ_DEFAULT_PASS=hunter2-secret")],
    )
    [found] = check(pack, mutated)
    assert "hunter2" not in found.message


def mine(found: list[Violation]) -> list[tuple[str, str, str]]:
    return [d for d in diagnostics(found) if d[0] == POLICY]


def test_unknown_image_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    assert mine(check(pack, container("db", image=UNKNOWN))) == [not_run("image")]


def test_missing_variable_behind_an_unknown_entry_is_deferred(pack: PolicyPackProcess) -> None:
    mutated = service("mq", RABBITMQ, ["RABBITMQ_DEFAULT_USER=guest", UNKNOWN])
    # The known guest user is reported; the password may be the unknown entry.
    assert mine(check(pack, mutated)) == [
        violation("RABBITMQ_DEFAULT_USER is the default user guest."),
        not_run("envs.1"),
    ]


def test_unknown_entry_cannot_be_a_default_literal(pack: PolicyPackProcess) -> None:
    # postgres only looks for POSTGRES_HOST_AUTH_METHOD=trust: an unknown entry (an output)
    # cannot be that literal. (docker-container-no-plaintext-secret-env defers on it.)
    assert mine(check(pack, container("db", envs=[secret("POSTGRES_PASSWORD=x"), UNKNOWN]))) == []


def test_unknown_requirepass_argument_decides_nothing(pack: PolicyPackProcess) -> None:
    mutated = service("cache", REDIS, command=["redis-server", UNKNOWN])
    assert mine(check(pack, mutated)) == [not_run("command.1")]


def test_unknown_list_is_deferred_after_known_violations(pack: PolicyPackProcess) -> None:
    mutated = service("cache", BITNAMI_REDIS, ["ALLOW_EMPTY_PASSWORD=yes"], command=UNKNOWN)
    assert mine(check(pack, mutated)) == [
        violation("ALLOW_EMPTY_PASSWORD is yes, which allows no password."),
        not_run("command"),
    ]


FIXTURES = [
    container("pass_baseline"),
    service("pass_rabbitmq", RABBITMQ, RABBITMQ_ENVS),
    service("pass_redis", REDIS, command=REQUIREPASS),
    service(
        "pass_redis_unknown_password", REDIS, command=["redis-server", "--requirepass", UNKNOWN]
    ),
    service("pass_mosquitto_2", MOSQUITTO_2),
    service(
        "pass_mosquitto_unknown_upload", MOSQUITTO_2, uploads=[{"file": "/x", "content": UNKNOWN}]
    ),
    service("pass_other_image_unknown_envs", "nginx:1.27", UNKNOWN),
    resource("docker:index/image:Image", "pass_not_a_container", {"name": "redis:7.4"}),
    service("fail_rabbitmq_default", RABBITMQ),
    service("fail_redis_open", REDIS),
    service("fail_mysql_empty_root", "mysql:8.4", ["MYSQL_ALLOW_EMPTY_PASSWORD=yes"]),
    container("fail_postgres_trust", envs=["POSTGRES_HOST_AUTH_METHOD=trust"]),
    service("fail_mongo_open", MONGO),
    service("fail_mosquitto_1", MOSQUITTO_1),
    container("unknown_image", image=UNKNOWN),
    service("unknown_rabbitmq_envs", RABBITMQ, UNKNOWN),
    service("unknown_rabbitmq_entry", RABBITMQ, ["RABBITMQ_DEFAULT_USER=ops", UNKNOWN]),
    service("unknown_redis_command", REDIS, command=UNKNOWN),
    service("unknown_mongo_entry", MONGO, ["MONGO_INITDB_ROOT_USERNAME=root", UNKNOWN]),
    service("unknown_postgres_envs", "postgres:16.4", UNKNOWN),
    service("unknown_mosquitto_1_volumes", MOSQUITTO_1, volumes=UNKNOWN),
    service(
        "unknown_mosquitto_1_target",
        MOSQUITTO_1,
        volumes=[{"volumeName": "mqconf", "containerPath": UNKNOWN}],
    ),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # Other policies may also defer on an unknown_* resource, but report no violation.
    assert {v.policy for v in violations if not is_not_run(v)} == {POLICY}
