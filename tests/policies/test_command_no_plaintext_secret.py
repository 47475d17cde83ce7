"""command-no-plaintext-secret, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess
from components.plan.recording import RecordedResource
from components.render.host_files import MERGE_DATA_SCRIPT, prepare_host_script
from components.render.nat_apply import NAT_APPLY_SCRIPT

from .cases.nat_forward_no_private_service_port import PROD_RULESET
from .conftest import (
    UNKNOWN,
    container,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    secret,
    violating_names,
)

POLICY = "command-no-plaintext-secret"
DESCRIPTION = (
    "Commands (pulumi-command) hold no plaintext secret in their scripts, environment or "
    "connection: secrets are Pulumi secrets."
)
NAT_POLICY = "nat-forward-no-private-service-port"
REMOTE = "command:remote:Command"
LOCAL = "command:local:Command"

# Every plaintext value below contains this marker; no message may show it.
VALUE = "Pl41n-S3cret"
KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ" + VALUE
PEM = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
# What the SDK sends: the whole connection is a Pulumi secret.
CONNECTION = secret({"host": "203.0.113.10", "user": "root", "privateKey": PEM})
BACKUP_SCRIPT = (
    "set -eu\n"
    'export PGPASSWORD="$DB_PASSWORD"\n'
    "pg_dump -h 10.0.0.13 -U app app | gzip > /var/backups/app.sql.gz\n"
    'mysqldump -u root -p"$MYSQL_ROOT_PASSWORD" --all-databases > /var/backups/all.sql\n'
    'restic -r "s3:https://s3.example.com/backups" --password-file /etc/restic/pass backup /var\n'
    'curl -fsS -H "Authorization: Bearer ${HEALTHCHECK_TOKEN}" https://hc.example.com/ping\n'
)
BACKUP_ENVIRONMENT = {
    "TZ": "UTC",
    "DB_PASSWORD": secret("from-pulumi-config"),
    "MYSQL_ROOT_PASSWORD": secret("from-pulumi-config"),
    "HEALTHCHECK_TOKEN": secret("from-pulumi-config"),
    "DB_PASSWORD_FILE": "/run/secrets/db",
    "RESTIC_CACHE_DIR": "/var/cache/restic",
    "SSH_PUBLIC_KEY": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE ops@example.com",
    "EMPTY_TOKEN": "",
}
BACKUP: dict[str, Any] = {
    "connection": CONNECTION,
    "create": BACKUP_SCRIPT,
    "update": BACKUP_SCRIPT,
    "delete": "rm -f /var/backups/app.sql.gz",
    "environment": BACKUP_ENVIRONMENT,
}


def command(name: str, type_: str = REMOTE, **changes: Any) -> RecordedResource:
    """The backup command with top-level ``changes`` (a value of None removes the key)."""
    base = BACKUP if type_ == REMOTE else {k: v for k, v in BACKUP.items() if k != "connection"}
    properties = {**base, **changes}
    return resource(type_, name, {k: v for k, v in properties.items() if v is not None})


def with_env(**entries: Any) -> dict[str, Any]:
    return {**BACKUP_ENVIRONMENT, **entries}


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def not_run(policy: str, path: str) -> tuple[str, str, str]:
    message = f"string value at .{path} can't be known during preview"
    return (policy, "advisory", not_run_prefix(policy) + message)


# The prod stack's own commands (the texts components/ renders), with secret connections.
PROD_COMMANDS = [
    command(
        "ax102-merge-data",
        create=MERGE_DATA_SCRIPT,
        update=None,
        delete=None,
        environment=None,
    ),
    command(
        "ax102-prepare",
        create=prepare_host_script(),
        update=prepare_host_script(),
        delete=None,
        environment=None,
    ),
    command(
        "ax102-nat-ruleset",
        create=NAT_APPLY_SCRIPT,
        update=NAT_APPLY_SCRIPT,
        delete="nft delete table ip platform_nat || true; rm -f /etc/platform/nat.nft",
        stdin=PROD_RULESET,
        environment=None,
    ),
]


def test_prod_commands_have_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check(PROD_COMMANDS) == []


def test_compliant_commands_have_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check([command("backup"), command("backup-local", LOCAL)]) == []


def test_a_secret_script_is_not_read(pack: PolicyPackProcess) -> None:
    script = f"PASSWORD={VALUE} ./run\nmysql -p{VALUE}\n{PEM}"
    found = pack.check([command("backup", create=secret(script), update=secret(script))])
    assert found == []


ASSIGNED = "`create` assigns a literal value to {}."


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        # environment entries with a secret-looking name
        *(
            pytest.param(
                {"environment": with_env(**{name: VALUE})},
                [f"`environment` sets {name} in plaintext."],
                id=f"environment-{name}",
            )
            for name in (
                "DB_PASSWORD",
                "PGPASSWORD",
                "MYSQL_PASSWD",
                "JWT_SECRET",
                "GITHUB_TOKEN",
                "STRIPE_API_KEY",
                "SSH_PRIVATE_KEY",
                "AWS_SECRET_ACCESS_KEY",
                "ENCRYPTION_KEY",
                "db_password",
            )
        ),
        pytest.param(
            {"environment": with_env(DB_PASSWORD=VALUE, API_TOKEN=VALUE)},
            [
                "`environment` sets API_TOKEN in plaintext.",
                "`environment` sets DB_PASSWORD in plaintext.",
            ],
            id="environment-two-entries-by-name",
        ),
        # inline credentials in the command text
        pytest.param(
            {"create": f"DB_PASSWORD={VALUE} ./migrate"},
            [ASSIGNED.format("DB_PASSWORD")],
            id="assignment",
        ),
        pytest.param(
            {"create": f"export API_TOKEN='{VALUE}'\n./sync"},
            [ASSIGNED.format("API_TOKEN")],
            id="export-single-quoted",
        ),
        pytest.param(
            {"create": f'docker run -d -e POSTGRES_PASSWORD="{VALUE}" postgres:16'},
            [ASSIGNED.format("POSTGRES_PASSWORD")],
            id="docker-env-flag",
        ),
        pytest.param(
            {"create": f'echo "SECRET_KEY_BASE={VALUE}" >> /srv/app/.env'},
            [ASSIGNED.format("SECRET_KEY_BASE")],
            id="assignment-inside-echo",
        ),
        pytest.param(
            {"update": f"mysql -u root -p{VALUE} -e 'FLUSH PRIVILEGES'"},
            ["`update` passes a literal password to mysql with -p."],
            id="mysql-p",
        ),
        pytest.param(
            {"update": f"mysqldump -u root -p'{VALUE}' app | gzip > app.sql.gz"},
            ["`update` passes a literal password to mysqldump with -p."],
            id="mysqldump-p-quoted",
        ),
        pytest.param(
            {"delete": f"cli user delete --password {VALUE} app"},
            ["`delete` passes a literal value to --password."],
            id="password-flag",
        ),
        pytest.param(
            {"delete": f"cli user delete --password={VALUE} app"},
            ["`delete` passes a literal value to --password."],
            id="password-flag-equals",
        ),
        pytest.param(
            {"create": f"influx setup --admin-token {VALUE} --force"},
            ["`create` passes a literal value to --admin-token."],
            id="prefixed-token-flag",
        ),
        pytest.param(
            {"create": f"cat > /root/.ssh/id_ed25519 <<'EOF'\n{PEM}EOF\n"},
            ["`create` contains a PEM private key block."],
            id="pem-heredoc",
        ),
        pytest.param(
            {"create": f"printf '-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAK{VALUE}\\n' > k"},
            ["`create` contains a PEM private key block."],
            id="pem-one-line",
        ),
        pytest.param(
            {"create": f"git clone https://deploy:{VALUE}@git.example.com/app.git /srv/app"},
            ["`create` contains a https:// URL with a password."],
            id="https-url",
        ),
        pytest.param(
            {"update": f"psql postgres://app:{VALUE}@10.0.0.13/app -c 'select 1'"},
            ["`update` contains a postgres:// URL with a password."],
            id="database-url",
        ),
        pytest.param(
            {
                "create": f"DB_PASSWORD={VALUE} ./migrate\nmysql -p{VALUE}\n"
                f"DB_PASSWORD={VALUE} ./seed\n",
                "update": f"curl https://user:{VALUE}@example.com/hook",
            },
            [
                ASSIGNED.format("DB_PASSWORD"),
                "`create` passes a literal password to mysql with -p.",
                "`update` contains a https:// URL with a password.",
            ],
            id="several-in-text-order-each-once",
        ),
        # connection credentials
        pytest.param(
            {"connection": {"host": "203.0.113.10", "user": "root", "password": VALUE}},
            ["`connection.password` is in plaintext."],
            id="connection-password",
        ),
        pytest.param(
            {"connection": {"host": "203.0.113.10", "privateKey": PEM}},
            ["`connection.privateKey` is in plaintext."],
            id="connection-private-key",
        ),
        pytest.param(
            {
                "connection": {
                    "host": "203.0.113.10",
                    "privateKey": secret(PEM),
                    "privateKeyPassword": VALUE,
                }
            },
            ["`connection.privateKeyPassword` is in plaintext."],
            id="connection-private-key-password",
        ),
        pytest.param(
            {
                "connection": {
                    "host": "10.0.0.2",
                    "privateKey": secret(PEM),
                    "proxy": {"host": "203.0.113.10", "password": VALUE},
                }
            },
            ["`connection.proxy.password` is in plaintext."],
            id="connection-proxy-password",
        ),
    ],
)
def test_each_plaintext_secret_is_a_violation(
    pack: PolicyPackProcess, changes: dict[str, Any], messages: list[str]
) -> None:
    found = diagnostics(pack.check([command("backup", **changes)]))
    assert found == [violation(m) for m in messages]
    assert not any(VALUE in message for _, _, message in found)


def test_local_command_is_checked(pack: PolicyPackProcess) -> None:
    mutated = command("render", LOCAL, environment={"VAULT_TOKEN": VALUE})
    assert diagnostics(pack.check([mutated])) == [
        violation("`environment` sets VAULT_TOKEN in plaintext.")
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('PASSWORD="$DB_PASSWORD" ./run', id="quoted-reference"),
        pytest.param("PASSWORD=${DB_PASSWORD:-} ./run", id="braced-reference"),
        pytest.param("TOKEN=$(cat /run/secrets/token) ./run", id="command-substitution"),
        pytest.param("TOKEN=`cat /run/secrets/token` ./run", id="backticks"),
        pytest.param('PASSWORD="" ./run', id="empty"),
        pytest.param("PASSWORD_MIN_LENGTH=12 ./run", id="describes-a-secret"),
        pytest.param("DB_PASSWORD_FILE=/run/secrets/db ./run", id="secret-file"),
        pytest.param("AWS_ACCESS_KEY_ID=AKIAEXAMPLE ./run", id="key-id"),
        pytest.param("grep -q '^PASSWORD=' /etc/app.env", id="grep-pattern"),
        pytest.param("mysql -u root -p app < dump.sql", id="mysql-prompt"),
        pytest.param('mysql -u root -p"$MYSQL_PWD"', id="mysql-reference"),
        pytest.param("docker run --name mysql -p127.0.0.1:3306:3306 mysql:8", id="port-flag"),
        pytest.param("mkdir -p /srv/app && ssh -p 2222 host true", id="other-p-flags"),
        pytest.param("find /var/lib/mysql -perm 600 -print", id="mysql-in-a-path"),
        pytest.param("apt-get install -y mysql-client -q", id="mysql-package"),
        pytest.param('echo "$PW" | docker login --password-stdin -u ci reg', id="stdin"),
        pytest.param('cli --password "$PW" --token "${TOKEN}"', id="flag-references"),
        pytest.param("cli --no-password login", id="no-password"),
        pytest.param("psql postgres://app:${PGPASS}@db/app", id="url-reference"),
        pytest.param("git clone https://git@example.com:8443/app.git", id="url-user-only"),
        pytest.param("grep -q 'BEGIN OPENSSH PRIVATE KEY' ~/.ssh/id_ed25519", id="pem-grep"),
    ],
)
def test_references_and_look_alikes_pass(pack: PolicyPackProcess, text: str) -> None:
    assert pack.check([command("backup", create=text)]) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"create": UNKNOWN},
            [not_run(POLICY, "create"), not_run(NAT_POLICY, "create")],
            id="create",
        ),
        pytest.param(
            {"delete": UNKNOWN}, [not_run(POLICY, "delete")], id="delete-nat-rule-skips-it"
        ),
        pytest.param({"environment": UNKNOWN}, [not_run(POLICY, "environment")], id="env"),
        pytest.param(
            {"environment": with_env(DB_PASSWORD=UNKNOWN)},
            [not_run(POLICY, "environment.DB_PASSWORD")],
            id="secret-looking-entry",
        ),
        pytest.param({"connection": UNKNOWN}, [not_run(POLICY, "connection")], id="connection"),
        pytest.param(
            {"connection": {"host": "203.0.113.10", "password": UNKNOWN}},
            [not_run(POLICY, "connection.password")],
            id="connection-password",
        ),
    ],
)
def test_unknown_plain_values_are_not_run_advisories(
    pack: PolicyPackProcess, changes: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    assert diagnostics(pack.check([command("backup", **changes)])) == expected


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = command("backup", create=f"TOKEN={VALUE} ./run", environment=UNKNOWN)
    assert diagnostics(pack.check([mutated])) == [
        violation(ASSIGNED.format("TOKEN")),
        not_run(POLICY, "environment"),
    ]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"environment": with_env(DB_PASSWORD=secret(UNKNOWN))}, id="entry"),
        pytest.param({"environment": secret(UNKNOWN)}, id="environment"),
        pytest.param({"connection": secret(UNKNOWN)}, id="connection"),
        pytest.param(
            {"connection": {"host": "203.0.113.10", "password": secret(UNKNOWN)}},
            id="connection-password",
        ),
        pytest.param({"delete": secret(UNKNOWN)}, id="delete"),
        pytest.param({"environment": with_env(TZ=UNKNOWN, HOME=UNKNOWN)}, id="plain-names"),
        pytest.param({"stdin": UNKNOWN}, id="stdin-is-not-read"),
    ],
)
def test_unknown_secrets_and_unread_values_pass(
    pack: PolicyPackProcess, changes: dict[str, Any]
) -> None:
    """A secret passes whether or not its value is known; values not needed are not read."""
    found = pack.check([command("backup", **changes)])
    assert [v for v in found if v.policy == POLICY] == []


FIXTURES = [
    command("pass_backup"),
    command("pass_backup_local", LOCAL),
    command("pass_secret_script", create=secret(f"PASSWORD={VALUE} ./run")),
    command("pass_secret_env", environment=secret({"DB_PASSWORD": VALUE})),
    command("pass_unknown_secret_env", environment={"API_TOKEN": secret(UNKNOWN)}),
    command("pass_unknown_plain_name", environment={"LOG_LEVEL": UNKNOWN}),
    command("pass_secret_connection_unknown", connection=secret(UNKNOWN)),
    command("pass_reference", create='PASSWORD="$DB_PASSWORD" ./run'),
    container(
        "pass_not_a_command",
        image="nginx:1.27.2",
        volumes=None,
        command=["sh", "-c", f"PASSWORD={VALUE} ./run"],
    ),
    command("fail_env", environment={"DB_PASSWORD": VALUE}),
    command("fail_env_local", LOCAL, environment={"GITHUB_TOKEN": VALUE}),
    command("fail_assignment", create=f"PASSWORD={VALUE} ./run"),
    command("fail_mysql", update=f"mysql -p{VALUE} app"),
    command("fail_flag", delete=f"cli --password={VALUE}"),
    command("fail_pem", create=PEM),
    command("fail_url", create=f"curl https://u:{VALUE}@example.com"),
    command("fail_connection", connection={"host": "203.0.113.10", "password": VALUE}),
    command("unknown_update", update=UNKNOWN),
    command("unknown_env_entry", environment={"DB_PASSWORD": UNKNOWN}),
    command("unknown_connection_key", connection={"host": "h", "privateKey": UNKNOWN}),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    found = pack.check([*PROD_COMMANDS, *FIXTURES])
    names = {r.name for r in FIXTURES}
    assert violating_names(found, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(found, POLICY) == {n for n in names if n.startswith("unknown_")}
    # Only the NAT rule also reads `update`, and defers on it.
    others = {(v.policy, v.urn.rpartition("::")[2]) for v in found if v.policy != POLICY}
    assert others == {(NAT_POLICY, "unknown_update")}
    assert not any(VALUE in v.message for v in found)
