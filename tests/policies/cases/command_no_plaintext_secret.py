"""command-no-plaintext-secret: environment, scripts and connections of pulumi-command
resources; secret names by lib.secret_names; values never shown."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN, RecordedResource
from components.render.host_files import prepare_host_script
from components.render.nat_apply import NAT_APPLY_SCRIPT
from components.render.storage_merge import merge_data_script

from ..conftest import container, resource, secret
from ..harness import RuleCases, fails, named, passes, unknown
from .nat_forward_no_private_service_port import PROD_RULESET

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


def _p(*args: Any, id: str) -> tuple[Any, ...]:
    return (id, *args)


# The prod stack's own commands (the texts components/ renders), with secret connections.
PROD_COMMANDS = [
    command(
        "ax102-merge-data",
        create=merge_data_script(),
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


ASSIGNED = "`create` assigns a literal value to {}."
FAILING = [
    # environment entries with a secret-looking name
    *(
        _p(
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
    _p(
        {"environment": with_env(DB_PASSWORD=VALUE, API_TOKEN=VALUE)},
        [
            "`environment` sets API_TOKEN in plaintext.",
            "`environment` sets DB_PASSWORD in plaintext.",
        ],
        id="environment-two-entries-by-name",
    ),
    # inline credentials in the command text
    _p(
        {"create": f"DB_PASSWORD={VALUE} ./migrate"},
        [ASSIGNED.format("DB_PASSWORD")],
        id="assignment",
    ),
    _p(
        {"create": f"export API_TOKEN='{VALUE}'\n./sync"},
        [ASSIGNED.format("API_TOKEN")],
        id="export-single-quoted",
    ),
    _p(
        {"create": f'docker run -d -e POSTGRES_PASSWORD="{VALUE}" postgres:16'},
        [ASSIGNED.format("POSTGRES_PASSWORD")],
        id="docker-env-flag",
    ),
    _p(
        {"create": f'echo "SECRET_KEY_BASE={VALUE}" >> /srv/app/.env'},
        [ASSIGNED.format("SECRET_KEY_BASE")],
        id="assignment-inside-echo",
    ),
    _p(
        {"update": f"mysql -u root -p{VALUE} -e 'FLUSH PRIVILEGES'"},
        ["`update` passes a literal password to mysql with -p."],
        id="mysql-p",
    ),
    _p(
        {"update": f"mysqldump -u root -p'{VALUE}' app | gzip > app.sql.gz"},
        ["`update` passes a literal password to mysqldump with -p."],
        id="mysqldump-p-quoted",
    ),
    _p(
        {"delete": f"cli user delete --password {VALUE} app"},
        ["`delete` passes a literal value to --password."],
        id="password-flag",
    ),
    _p(
        {"delete": f"cli user delete --password={VALUE} app"},
        ["`delete` passes a literal value to --password."],
        id="password-flag-equals",
    ),
    _p(
        {"create": f"influx setup --admin-token {VALUE} --force"},
        ["`create` passes a literal value to --admin-token."],
        id="prefixed-token-flag",
    ),
    _p(
        {"create": f"cat > /root/.ssh/id_ed25519 <<'EOF'\n{PEM}EOF\n"},
        ["`create` contains a PEM private key block."],
        id="pem-heredoc",
    ),
    _p(
        {"create": f"printf '-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAK{VALUE}\\n' > k"},
        ["`create` contains a PEM private key block."],
        id="pem-one-line",
    ),
    _p(
        {"create": f"git clone https://deploy:{VALUE}@git.example.com/app.git /srv/app"},
        ["`create` contains a https:// URL with a password."],
        id="https-url",
    ),
    _p(
        {"update": f"psql postgres://app:{VALUE}@10.0.0.13/app -c 'select 1'"},
        ["`update` contains a postgres:// URL with a password."],
        id="database-url",
    ),
    _p(
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
    _p(
        {"connection": {"host": "203.0.113.10", "user": "root", "password": VALUE}},
        ["`connection.password` is in plaintext."],
        id="connection-password",
    ),
    _p(
        {"connection": {"host": "203.0.113.10", "privateKey": PEM}},
        ["`connection.privateKey` is in plaintext."],
        id="connection-private-key",
    ),
    _p(
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
    _p(
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
]
LOOK_ALIKES = [
    _p('PASSWORD="$DB_PASSWORD" ./run', id="quoted-reference"),
    _p("PASSWORD=${DB_PASSWORD:-} ./run", id="braced-reference"),
    _p("TOKEN=$(cat /run/secrets/token) ./run", id="command-substitution"),
    _p("TOKEN=`cat /run/secrets/token` ./run", id="backticks"),
    _p('PASSWORD="" ./run', id="empty"),
    _p("PASSWORD_MIN_LENGTH=12 ./run", id="describes-a-secret"),
    _p("DB_PASSWORD_FILE=/run/secrets/db ./run", id="secret-file"),
    _p("AWS_ACCESS_KEY_ID=AKIAEXAMPLE ./run", id="key-id"),
    _p("grep -q '^PASSWORD=' /etc/app.env", id="grep-pattern"),
    _p("mysql -u root -p app < dump.sql", id="mysql-prompt"),
    _p('mysql -u root -p"$MYSQL_PWD"', id="mysql-reference"),
    _p("docker run --name mysql -p127.0.0.1:3306:3306 mysql:8", id="port-flag"),
    _p("mkdir -p /srv/app && ssh -p 2222 host true", id="other-p-flags"),
    _p("find /var/lib/mysql -perm 600 -print", id="mysql-in-a-path"),
    _p("apt-get install -y mysql-client -q", id="mysql-package"),
    _p('echo "$PW" | docker login --password-stdin -u ci reg', id="stdin"),
    _p('cli --password "$PW" --token "${TOKEN}"', id="flag-references"),
    _p("cli --no-password login", id="no-password"),
    _p("psql postgres://app:${PGPASS}@db/app", id="url-reference"),
    _p("git clone https://git@example.com:8443/app.git", id="url-user-only"),
    _p("grep -q 'BEGIN OPENSSH PRIVATE KEY' ~/.ssh/id_ed25519", id="pem-grep"),
]
UNREAD = [
    _p({"environment": with_env(DB_PASSWORD=secret(UNKNOWN))}, id="entry"),
    _p({"environment": secret(UNKNOWN)}, id="environment"),
    _p({"connection": secret(UNKNOWN)}, id="connection"),
    _p(
        {"connection": {"host": "203.0.113.10", "password": secret(UNKNOWN)}},
        id="connection-password",
    ),
    _p({"delete": secret(UNKNOWN)}, id="delete"),
    _p({"environment": with_env(TZ=UNKNOWN, HOME=UNKNOWN)}, id="plain-names"),
    _p({"stdin": UNKNOWN}, id="stdin-is-not-read"),
]


def slug(text: str) -> str:
    return text.replace("-", "_")


CASES = RuleCases(
    cases=[
        *(passes(named(c, "pass_prod_" + slug(c.name))) for c in PROD_COMMANDS),
        passes(command("pass_backup")),
        passes(command("pass_backup_local", LOCAL)),
        passes(
            command(
                "pass_secret_script",
                create=secret(f"PASSWORD={VALUE} ./run\nmysql -p{VALUE}\n{PEM}"),
                update=secret(f"PASSWORD={VALUE} ./run"),
            )
        ),
        passes(command("pass_secret_env", environment=secret({"DB_PASSWORD": VALUE}))),
        passes(
            container(
                "pass_not_a_command",
                image="nginx:1.27.2",
                volumes=None,
                command=["sh", "-c", f"PASSWORD={VALUE} ./run"],
            )
        ),
        *(passes(command("pass_" + slug(i), create=text)) for i, text in LOOK_ALIKES),
        *(passes(command("pass_unknown_" + slug(i), **changes)) for i, changes in UNREAD),
        *(
            fails(command("fail_" + slug(i), **changes), *messages)
            for i, changes, messages in FAILING
        ),
        fails(
            command("fail_local", LOCAL, environment={"VAULT_TOKEN": VALUE}),
            "`environment` sets VAULT_TOKEN in plaintext.",
        ),
        unknown(command("unknown_create", create=UNKNOWN), ".create"),
        unknown(command("unknown_delete", delete=UNKNOWN), ".delete"),
        unknown(command("unknown_environment", environment=UNKNOWN), ".environment"),
        unknown(
            command("unknown_env_entry", environment=with_env(DB_PASSWORD=UNKNOWN)),
            ".environment.DB_PASSWORD",
        ),
        unknown(command("unknown_connection", connection=UNKNOWN), ".connection"),
        unknown(
            command("unknown_connection_password", connection={"host": "h", "password": UNKNOWN}),
            ".connection.password",
        ),
        unknown(
            command("unknown_after_violation", create=f"TOKEN={VALUE} ./run", environment=UNKNOWN),
            ".environment",
            ASSIGNED.format("TOKEN"),
        ),
    ],
)
