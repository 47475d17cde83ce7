"""docker-container-no-default-credentials: each well-known service's defaults."""

from __future__ import annotations

import base64
from typing import Any

from components.plan.recording import UNKNOWN, RecordedResource

from ..conftest import container, secret
from ..harness import RuleCases, fails, named, passes, unknown

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


def service(name: str, image: str, envs: Any = None, **changes: Any) -> RecordedResource:
    """COMPLIANT_CONTAINER running ``image`` with its own ``envs`` (None: none at all)."""
    return container(name, image=image, envs=envs, **changes)


def _p(*args: Any, id: str) -> tuple[Any, ...]:
    return (id, *args)


PASSING = [
    _p(service("mq", RABBITMQ, RABBITMQ_ENVS), id="rabbitmq-own-credentials"),
    _p(
        service(
            "mq",
            RABBITMQ,
            [secret("RABBITMQ_DEFAULT_USER=ops"), secret("RABBITMQ_DEFAULT_PASS=x")],
        ),
        id="rabbitmq-secret-entries",
    ),
    _p(service("cache", REDIS, command=REQUIREPASS), id="redis-requirepass"),
    _p(
        service("cache", REDIS, command=["redis-server", "--requirepass", UNKNOWN]),
        id="redis-unknown-password-accepted",
    ),
    _p(
        service(
            "cache",
            REDIS,
            [secret("REDIS_PASSWORD=from-config")],
            command=["sh", "-c", 'exec redis-server --requirepass "$REDIS_PASSWORD"'],
        ),
        id="redis-requirepass-in-shell",
    ),
    _p(
        service("cache", REDIS, entrypoints=["redis-server", "--requirepass", secret("x")]),
        id="redis-requirepass-in-entrypoints",
    ),
    _p(service("cache", VALKEY, command=REQUIREPASS), id="valkey-requirepass"),
    _p(
        service("cache", f"docker.io/library/{REDIS}", command=REQUIREPASS),
        id="redis-fully-qualified",
    ),
    _p(
        service("cache", BITNAMI_REDIS, [secret("REDIS_PASSWORD=from-config")]),
        id="bitnami-redis-password",
    ),
    _p(
        service("cache", BITNAMI_REDIS, ["REDIS_PASSWORD_FILE=/run/secrets/redis"]),
        id="bitnami-redis-password-file",
    ),
    _p(
        service("cache", BITNAMI_REDIS, [secret("REDIS_PASSWORD=x"), "ALLOW_EMPTY_PASSWORD=no"]),
        id="bitnami-redis-allow-empty-no",
    ),
    _p(
        service("sql", "mysql:8.4", [secret("MYSQL_ROOT_PASSWORD=x"), "MYSQL_DATABASE=app"]),
        id="mysql-root-password",
    ),
    _p(
        service("sql", "mysql:8.4", ["MYSQL_RANDOM_ROOT_PASSWORD=yes"]),
        id="mysql-random-root-password",
    ),
    _p(
        service(
            "sql", "mysql:8.4", [secret("MYSQL_ROOT_PASSWORD=x"), "MYSQL_ALLOW_EMPTY_PASSWORD="]
        ),
        id="mysql-allow-empty-empty-value",
    ),
    _p(
        service(
            "sql",
            "mysql:8.4",
            [secret("MYSQL_ROOT_PASSWORD=x"), "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1"],
        ),
        id="mysql-ignores-mariadb-variable",
    ),
    _p(
        service("sql", "mariadb:11.4", [secret("MARIADB_ROOT_PASSWORD=x")]),
        id="mariadb-root-password",
    ),
    _p(
        container(
            "db", envs=["POSTGRES_HOST_AUTH_METHOD=scram-sha-256", secret("POSTGRES_PASSWORD=x")]
        ),
        id="postgres-scram",
    ),
    _p(
        service(
            "docs",
            MONGO,
            ["MONGO_INITDB_ROOT_USERNAME=root", secret("MONGO_INITDB_ROOT_PASSWORD=x")],
        ),
        id="mongo-root-password",
    ),
    _p(
        service(
            "docs",
            MONGO,
            ["MONGO_INITDB_ROOT_USERNAME=root", "MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/m"],
        ),
        id="mongo-root-password-file",
    ),
    _p(service("mqtt", MOSQUITTO_2), id="mosquitto-2-loopback-only"),
    _p(service("mqtt", f"eclipse-mosquitto@{DIGEST}"), id="mosquitto-digest-only-is-2"),
    _p(service("mqtt", MOSQUITTO_2, volumes=[CONFIG_VOLUME]), id="mosquitto-2-configured"),
    _p(service("mqtt", MOSQUITTO_1, volumes=[CONFIG_VOLUME]), id="mosquitto-1-config-volume"),
    _p(
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
    _p(
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
    _p(
        service(
            "mqtt",
            MOSQUITTO_1,
            command=["/usr/sbin/mosquitto", "-c", "/etc/mosquitto/site.conf"],
            volumes=[{"hostPath": "/srv/mosquitto", "containerPath": "/etc/mosquitto"}],
        ),
        id="mosquitto-1-other-config-file",
    ),
    _p(service("web", "nginx:1.27", ["TZ=UTC"]), id="other-image"),
    _p(service("web", "ghcr.io/acme/redis:7.4"), id="namespaced-lookalike-is-another-image"),
]


FAILING = [
    _p(
        service("mq", RABBITMQ),
        [
            "RABBITMQ_DEFAULT_USER is not set, so RabbitMQ uses the default user guest.",
            "RABBITMQ_DEFAULT_PASS is not set, so RabbitMQ uses the default password guest.",
        ],
        id="rabbitmq-nothing-set",
    ),
    _p(
        service("mq", RABBITMQ, ["RABBITMQ_DEFAULT_USER=guest", secret("RABBITMQ_DEFAULT_PASS=x")]),
        ["RABBITMQ_DEFAULT_USER is the default user guest."],
        id="rabbitmq-guest-user",
    ),
    _p(
        service(
            "mq", RABBITMQ, ["RABBITMQ_DEFAULT_USER=ops", secret("RABBITMQ_DEFAULT_PASS=guest")]
        ),
        ["RABBITMQ_DEFAULT_PASS is the default password guest."],
        id="rabbitmq-guest-password-even-as-secret",
    ),
    _p(
        service("mq", RABBITMQ, ["RABBITMQ_DEFAULT_USER=ops"]),
        ["RABBITMQ_DEFAULT_PASS is not set, so RabbitMQ uses the default password guest."],
        id="rabbitmq-password-missing",
    ),
    _p(service("cache", REDIS), [NO_REQUIREPASS], id="redis-default"),
    _p(service("cache", VALKEY), [NO_REQUIREPASS], id="valkey-default"),
    _p(
        service("cache", REDIS, [secret("REDIS_PASSWORD=x")]),
        [
            "No password: neither `command` nor `entrypoints` passes --requirepass (the image "
            "does not read REDIS_PASSWORD)."
        ],
        id="redis-ignores-redis-password",
    ),
    _p(
        service("cache", REDIS, command=["redis-server", "--requirepass", ""]),
        [NO_REQUIREPASS],
        id="redis-empty-requirepass",
    ),
    _p(
        service("cache", REDIS, command=["redis-server", "--requirepass"]),
        [NO_REQUIREPASS],
        id="redis-requirepass-without-value",
    ),
    _p(
        service("cache", REDIS, command=["redis-server", "--requirepass", "--port", "6380"]),
        [NO_REQUIREPASS],
        id="redis-requirepass-followed-by-option",
    ),
    _p(
        service("cache", REDIS, command=["redis-server", "/usr/local/etc/redis/redis.conf"]),
        [NO_REQUIREPASS],
        id="redis-config-file-proves-nothing",
    ),
    _p(
        service("cache", BITNAMI_REDIS),
        [
            "No password: REDIS_PASSWORD is not set, and neither `command` nor `entrypoints` "
            "passes --requirepass."
        ],
        id="bitnami-redis-no-password",
    ),
    _p(
        service("cache", BITNAMI_REDIS, ["ALLOW_EMPTY_PASSWORD=yes"]),
        [
            "No password: REDIS_PASSWORD is not set, and neither `command` nor `entrypoints` "
            "passes --requirepass.",
            "ALLOW_EMPTY_PASSWORD is yes, which allows no password.",
        ],
        id="bitnami-redis-allow-empty",
    ),
    _p(
        service("cache", BITNAMI_REDIS, [secret("REDIS_PASSWORD=x"), "ALLOW_EMPTY_PASSWORD=True"]),
        ["ALLOW_EMPTY_PASSWORD is True, which allows no password."],
        id="bitnami-redis-allow-empty-with-password",
    ),
    _p(
        service("sql", "mysql:8.4", ["MYSQL_ALLOW_EMPTY_PASSWORD=yes"]),
        [ALLOW_EMPTY_ROOT.format("MYSQL_ALLOW_EMPTY_PASSWORD")],
        id="mysql-allow-empty",
    ),
    _p(
        service("sql", "mysql:8.4", ["MYSQL_ALLOW_EMPTY_PASSWORD=no"]),
        [ALLOW_EMPTY_ROOT.format("MYSQL_ALLOW_EMPTY_PASSWORD")],
        id="mysql-allow-empty-no-is-yes",
    ),
    _p(
        service("sql", "mariadb:11.4", ["MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1"]),
        [ALLOW_EMPTY_ROOT.format("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD")],
        id="mariadb-allow-empty",
    ),
    _p(
        service("sql", "mariadb:11.4", ["MYSQL_ALLOW_EMPTY_PASSWORD=true"]),
        [ALLOW_EMPTY_ROOT.format("MYSQL_ALLOW_EMPTY_PASSWORD")],
        id="mariadb-reads-mysql-variable",
    ),
    _p(
        service("sql", "bitnami/mariadb:11.4", ["ALLOW_EMPTY_PASSWORD=yes"]),
        ["ALLOW_EMPTY_PASSWORD is yes, which allows no password."],
        id="bitnami-mariadb-allow-empty",
    ),
    _p(
        container("db", envs=["POSTGRES_HOST_AUTH_METHOD=trust"]),
        ["POSTGRES_HOST_AUTH_METHOD is trust, which lets every host in without a password."],
        id="postgres-trust",
    ),
    _p(
        service(
            "db",
            "postgis/postgis:16-3.4",
            [secret("POSTGRES_PASSWORD=x"), "POSTGRES_HOST_AUTH_METHOD=TRUST"],
        ),
        ["POSTGRES_HOST_AUTH_METHOD is trust, which lets every host in without a password."],
        id="postgis-trust-any-case",
    ),
    _p(
        service("db", "bitnami/postgresql:16", ["ALLOW_EMPTY_PASSWORD=1"]),
        ["ALLOW_EMPTY_PASSWORD is 1, which allows no password."],
        id="bitnami-postgresql-allow-empty",
    ),
    _p(
        service("docs", MONGO),
        ["MONGO_INITDB_ROOT_PASSWORD is not set, so MongoDB runs without authentication."],
        id="mongo-no-password",
    ),
    _p(
        service("docs", MONGO, ["MONGO_INITDB_ROOT_USERNAME=root", "MONGO_INITDB_ROOT_PASSWORD="]),
        ["MONGO_INITDB_ROOT_PASSWORD is not set, so MongoDB runs without authentication."],
        id="mongo-empty-password",
    ),
    _p(
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
    _p(
        service("mqtt", MOSQUITTO_2, ["MOSQUITTO_CONF=listener 1883\nallow_anonymous true"]),
        ["allow_anonymous true is set in an environment variable."],
        id="mosquitto-anonymous-in-env",
    ),
    _p(
        service(
            "mqtt",
            MOSQUITTO_2,
            uploads=[{"file": "/mosquitto/config/mosquitto.conf", "content": ANONYMOUS_CONF}],
        ),
        ["allow_anonymous true is set in an uploaded file."],
        id="mosquitto-anonymous-upload",
    ),
    _p(
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
    _p(service("mqtt", MOSQUITTO_1), [MOSQUITTO_OPEN], id="mosquitto-1-default"),
    _p(
        service(
            "mqtt",
            MOSQUITTO_1,
            volumes=[{"volumeName": "mqdata", "containerPath": "/mosquitto/data"}],
        ),
        [MOSQUITTO_OPEN],
        id="mosquitto-1-data-volume-only",
    ),
    _p(
        service(
            "mqtt",
            MOSQUITTO_1,
            command=["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"],
        ),
        [MOSQUITTO_OPEN],
        id="mosquitto-1-default-config-argument",
    ),
]


CASES = RuleCases(
    cases=[
        *(passes(named(r, "pass_" + i.replace("-", "_"))) for i, r in PASSING),
        *(fails(named(r, "fail_" + i.replace("-", "_")), *m) for i, r, m in FAILING),
        fails(
            service(
                "fail_secret_value_never_shown",
                RABBITMQ,
                ["RABBITMQ_DEFAULT_USER=guest", secret("RABBITMQ_DEFAULT_PASS=hunter2-secret")],
            ),
            "RABBITMQ_DEFAULT_USER is the default user guest.",
        ),
        unknown(container("unknown_image", image=UNKNOWN), ".image"),
        # The known guest user is reported; the password may be the unknown entry.
        unknown(
            service("unknown_password_entry", RABBITMQ, ["RABBITMQ_DEFAULT_USER=guest", UNKNOWN]),
            ".envs.1",
            "RABBITMQ_DEFAULT_USER is the default user guest.",
        ),
        # postgres only looks for POSTGRES_HOST_AUTH_METHOD=trust: an unknown entry (an output)
        # cannot be that literal.
        passes(
            container(
                "pass_unknown_entry_not_a_literal", envs=[secret("POSTGRES_PASSWORD=x"), UNKNOWN]
            )
        ),
        unknown(
            service("unknown_requirepass", REDIS, command=["redis-server", UNKNOWN]), ".command.1"
        ),
        unknown(
            service(
                "unknown_command_after",
                BITNAMI_REDIS,
                ["ALLOW_EMPTY_PASSWORD=yes"],
                command=UNKNOWN,
            ),
            ".command",
            "ALLOW_EMPTY_PASSWORD is yes, which allows no password.",
        ),
    ],
)
