"""pgbouncer.ini, its auth_file and its auth_hba_file, rendered from typed settings.

The syntax is pgBouncer's own, read from its source (pgbouncer/pgbouncer at tag
pgbouncer_1_18_0, Debian bookworm's version, which the tests run, and at pgbouncer_1_25_2, the
pinned image's: the same functions; lines as 1.18 / 1.25):
- a ``[databases]`` entry is a libpq-style connection string whose values may be single-quoted,
  a quote inside doubled (src/loader.c:57-98 / 54-95 ``cstr_unquote_value``/
  ``cstr_get_value``); an unquoted value ends at a space;
- the auth_file has one ``"user" "password"`` line per user, a double quote inside doubled
  (src/loader.c:433-460 / 592-620 ``find_quote``/``copy_quoted``); a user name of 128 bytes or
  more, or a password of 2048 or more, stops the loading of the file (``load_auth_file``,
  src/loader.c:521-590 / 696-760; include/bouncer.h ``MAX_USERNAME``/``MAX_PASSWORD``), so they
  are refused here;
- the auth_hba_file follows pg_hba.conf (doc/config.md "HBA file format", 1.18 :1139-1155 /
  1.25 :1651-1665): ``host``, a database list, a user list, an address, a method; names are
  double-quoted (a quote inside doubled), which also takes a name's keyword meaning (``all``,
  ``sameuser``) away (src/hba.c ``next_token``/``eat_kw``/``parse_names``, 1.18 :210, 276,
  382 / 1.25 :175, 254, 376). 1.18 has no ``all`` address (its ``parse_line``, :504, reads an
  IP and mask; 1.25's, :682, takes ``all`` too at :718), so the rules name 0.0.0.0/0 and ::/0.
  A line pgBouncer cannot parse is skipped with a warning (``hba_load_rules``), and no
  matching line is a rejection (``hba_eval``);
- a newline would end an ini, auth_file or auth_hba_file line early: refused in every value.

With ``auth_type = hba`` each client's method is its auth_hba_file line's (doc/config.md:293-
297 / 480-484; src/client.c 1.18 :241-245 / 1.25 :387-401, evaluated for the console database
``pgbouncer`` too, after its stats_users check); every line here says ``scram-sha-256``, which
authenticates clients against the auth_file's plain passwords ("`auth_file` has to contain
SCRAM secrets or plain-text passwords", doc/config.md:278-280). The lines are why the file
exists: pgBouncer lets any user of its auth_file open any ``[databases]`` entry as the
entry's server user, so without them the stats user's password (the exporter's) would open
the application's database as its owner or superuser. Each database entry logs in to the
server with its own ``user``/``password`` (doc/config.md:990-1000: one pool per database), so
a client's password never has to be the server's (the server's may be one the provider
generated); ``auth_query`` is never used: it reads ``pg_authid``, which a managed cluster's
users cannot (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

PoolMode = Literal["session", "transaction", "statement"]
ServerTlsMode = Literal["disable", "verify-full"]

MAX_USERNAME = 128  # include/bouncer.h: the limit includes the terminating NUL
MAX_PASSWORD = 2048
# The admin console's database name (doc/usage.md:152-160), what stats users open.
CONSOLE_DATABASE = "pgbouncer"
# Every client address, IPv4 and IPv6 (1.18 reads no ``all`` address; see the module doc).
_EVERY_ADDRESS = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class PgbouncerDatabase:
    """One ``[databases]`` entry: the name clients ask for, and the server it pools."""

    name: str
    host: str
    port: int
    dbname: str
    user: str
    password: str


@dataclass(frozen=True)
class HbaRule:
    """Who may open one database: the users that log in to it (SCRAM, from any address)."""

    database: str
    users: Sequence[str]


@dataclass(frozen=True)
class PgbouncerSettings:
    databases: Sequence[PgbouncerDatabase]
    auth_file: str
    auth_hba_file: str
    listen_port: int = 5432
    # Inside a container 0.0.0.0 is the container's own interfaces: its networks, nothing else
    # (the port is never published).
    listen_addr: str = "0.0.0.0"
    unix_socket_dir: str = ""  # empty: no Unix socket
    pool_mode: PoolMode = "transaction"
    max_client_conn: int = 100
    default_pool_size: int = 20
    query_wait_timeout: int = 120  # seconds
    server_tls_sslmode: ServerTlsMode = "disable"
    server_tls_ca_file: str | None = None
    pidfile: str | None = None
    logfile: str | None = None
    # Users of the auth_file that may run the console's SHOW commands (all but SHOW FDS,
    # doc/config.md ``stats_users``), as a metrics exporter does.
    stats_users: Sequence[str] = ()


def _one_line(what: str, value: str) -> str:
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(f"{what} holds a line break or NUL, which pgBouncer's files cannot")
    return value


def _conn_value(what: str, value: str) -> str:
    """A connection-string value, always single-quoted (a quote inside doubled)."""
    if not value:
        raise ValueError(f"{what} is empty; pgBouncer refuses empty connection values")
    return "'" + _one_line(what, value).replace("'", "''") + "'"


def _database_line(db: PgbouncerDatabase) -> str:
    if not db.name or not db.name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"database name {db.name!r}: letters, digits, - and _ only")
    parts = {
        "host": db.host,
        "port": str(db.port),
        "dbname": db.dbname,
        "user": db.user,
        "password": db.password,
    }
    values = " ".join(f"{k}={_conn_value(f'{db.name}.{k}', v)}" for k, v in parts.items())
    return f"{db.name} = {values}"


def pgbouncer_ini(settings: PgbouncerSettings) -> str:
    if not settings.databases:
        raise ValueError("pgbouncer.ini needs at least one database")
    if settings.server_tls_sslmode == "verify-full" and not settings.server_tls_ca_file:
        raise ValueError("server_tls_sslmode verify-full needs server_tls_ca_file")
    lines = ["[databases]", *(_database_line(db) for db in settings.databases), ""]
    options: dict[str, str | int | None] = {
        "listen_addr": settings.listen_addr,
        "listen_port": settings.listen_port,
        "unix_socket_dir": settings.unix_socket_dir,
        "auth_type": "hba",
        "auth_file": settings.auth_file,
        "auth_hba_file": settings.auth_hba_file,
        "pool_mode": settings.pool_mode,
        "max_client_conn": settings.max_client_conn,
        "default_pool_size": settings.default_pool_size,
        "query_wait_timeout": settings.query_wait_timeout,
        # Drivers such as JDBC send it; pgBouncer refuses unknown startup parameters otherwise.
        "ignore_startup_parameters": "extra_float_digits",
        "server_tls_sslmode": settings.server_tls_sslmode,
        "server_tls_ca_file": settings.server_tls_ca_file,
        "stats_users": _user_list(settings.stats_users),
        "pidfile": settings.pidfile,
        "logfile": settings.logfile,
    }
    lines.append("[pgbouncer]")
    for key, value in options.items():
        if value is not None:
            lines.append(f"{key} = {_one_line(key, str(value))}")
    return "\n".join(lines) + "\n"


def _user_list(users: Sequence[str]) -> str | None:
    """A comma-separated list of user names (doc/config.md ``stats_users``), or nothing."""
    for user in users:
        if not user or "," in user or user != user.strip():
            raise ValueError(f"user {user!r} cannot be in a pgBouncer user list")
    return ", ".join(users) or None


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def auth_hba(rules: Sequence[HbaRule]) -> str:
    """The auth_hba_file: per rule, one ``host`` line for each address family; nothing else
    matches, so every other database and user pair is rejected."""
    lines = []
    for rule in rules:
        if not rule.users:
            raise ValueError(f"database {rule.database!r} has no user that may open it")
        names = [rule.database, *rule.users]
        for name in names:
            if not name or _one_line(f"hba name {name!r}", name) != name.strip():
                raise ValueError(f"{name!r} cannot be a name in pgBouncer's auth_hba_file")
        users = ",".join(_quoted(u) for u in rule.users)
        lines += [
            f"host {_quoted(rule.database)} {users} {address} scram-sha-256"
            for address in _EVERY_ADDRESS
        ]
    if not lines:
        raise ValueError("the auth_hba_file needs at least one rule")
    return "\n".join(lines) + "\n"


def userlist(users: Mapping[str, str]) -> str:
    """The auth_file: ``"user" "password"`` per line, sorted by user."""
    lines = []
    for user, password in sorted(users.items()):
        _one_line(f"user {user}", user)
        _one_line(f"password of {user}", password)
        # The limits apply to the quoted text, doubled quotes included (load_auth_file).
        name, secret = _quoted(user), _quoted(password)
        if not user or len(name.encode()) - 2 >= MAX_USERNAME:
            raise ValueError(f"user name {user!r} must be 1-{MAX_USERNAME - 1} bytes quoted")
        if not password or len(secret.encode()) - 2 >= MAX_PASSWORD:
            raise ValueError(f"the password of {user} must be 1-{MAX_PASSWORD - 1} bytes quoted")
        lines.append(f"{name} {secret}")
    return "\n".join(lines) + "\n"
