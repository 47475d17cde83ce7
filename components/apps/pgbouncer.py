"""pgBouncer: pgbouncer.ini and its auth_file rendered from the stack, into secret files.

The pinned image is edoburu/pgbouncer (edoburu/docker-pgbouncer at tag v1.25.2-p0, pgBouncer
1.25.2): ``CMD ["/usr/bin/pgbouncer", "/etc/pgbouncer/pgbouncer.ini"]`` as ``USER postgres``
(Dockerfile:31-33). Its entrypoint.sh writes a config from env only when
/etc/pgbouncer/pgbouncer.ini does not exist (entrypoint.sh:89), so the uploaded file is used as
it is; the auth_file defaults to /etc/pgbouncer/userlist.txt (entrypoint.sh:11) and is
appended to when ``DB_USER``/``DB_PASSWORD`` or ``DATABASE_URL(S)`` are set (entrypoint.sh:53-
64, 77-87): those are refused in the service's env, as is ``AUTH_FILE``. ``postgres`` is uid and
gid 70, Alpine's fixed ids for it (aports main/postgresql-common pre-install, as
docker-library/postgres's Alpine Dockerfile notes): the files are written 0400 for that owner.

Upstreams are either services of the stack (plain TCP on an internal network; each entry logs
in with its own user and password from platform:secrets) or a managed database under
platform:databases (its host, port, database, generated user password and CA come from the
cluster at apply time; ``server_tls_sslmode = verify-full`` against that CA and the cluster's
host name). pgBouncer's TLS mode is one setting for every server (doc/config.md
``server_tls_sslmode``), so one pgBouncer does not mix the two.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from components.spec.common import Name, SecretRef, Strict
from components.spec.databases import PgIdentifier
from components.values import AppContribution, FilePlan, Rendered

if TYPE_CHECKING:
    from components.render.pgbouncer import PgbouncerDatabase
    from components.spec.errors import Problem
    from components.spec.services import ServiceSpec

KIND = "pgbouncer"
CONFIG_DIR = "/etc/pgbouncer"
CONFIG_PATH = f"{CONFIG_DIR}/pgbouncer.ini"
AUTH_FILE = f"{CONFIG_DIR}/userlist.txt"
HBA_FILE = f"{CONFIG_DIR}/pg_hba.conf"
SERVER_CA_FILE = f"{CONFIG_DIR}/server-ca.pem"
# Alpine's postgres user and group, which the image runs as (see the module doc).
IMAGE_UID = "70"
# The entrypoint's inputs that would write into the auth_file or move it (see the module doc).
ENTRYPOINT_ENV = ("DATABASE_URL", "DATABASE_URLS", "DB_USER", "DB_PASSWORD", "AUTH_FILE")


class DatabaseEntry(Strict):
    """A database clients ask pgBouncer for: a service of the stack, or a managed database."""

    service: Name | None = Field(
        default=None, description="The PostgreSQL service (under platform:services) it pools."
    )
    managed: Name | None = Field(
        default=None,
        description="The managed database (under platform:databases) it pools, over TLS "
        "verified against the cluster's CA (verify-full).",
    )
    port: int = Field(default=5432, ge=1, le=65535, description="The service's port.")
    dbname: PgIdentifier | None = Field(
        default=None, description="Database on the service (default: the entry's name)."
    )
    user: PgIdentifier | None = Field(
        default=None, description="The user pgBouncer logs in to the service as."
    )
    password: SecretRef | None = Field(
        default=None, description="That user's password, under platform:secrets."
    )
    clients: list[PgIdentifier] | None = Field(
        default=None,
        description="Users (under users) that may open this database; default: every user "
        "that is not a stats user. No other user may (the auth_hba_file).",
    )


class Spec(Strict):
    """pgbouncer.ini's settings; its databases and the users clients log in as."""

    kind: Literal["pgbouncer"]
    listenPort: int = Field(default=5432, ge=1, le=65535, description="Port clients connect to.")
    poolMode: Literal["session", "transaction", "statement"] = Field(
        default="transaction", description="When a server connection returns to the pool."
    )
    maxClientConn: int = Field(default=200, ge=1, le=100000, description="Client connections.")
    defaultPoolSize: int = Field(
        default=20, ge=1, le=10000, description="Server connections per database."
    )
    queryWaitTimeoutSeconds: int = Field(
        default=120,
        ge=1,
        le=86400,
        description="Seconds a client waits for a server connection before pgBouncer ends it "
        "with an error (what a client sees while the server is down or fails verification).",
    )
    databases: dict[PgIdentifier, DatabaseEntry] = Field(
        min_length=1, description="Databases by the name clients ask for."
    )
    users: dict[PgIdentifier, SecretRef] = Field(
        min_length=1,
        description="Users clients log in as (SCRAM-SHA-256) -> password under platform:secrets.",
    )
    statsUsers: list[PgIdentifier] = Field(
        default_factory=list,
        description="Users (under users) that may run the console's read-only SHOW commands "
        "(stats_users); the monitoring set's pgBouncer exporter logs in as the first. They "
        "open the console database `pgbouncer` only, never a database (the auth_hba_file).",
    )

    def managed_databases(self) -> set[str]:
        return {e.managed for e in self.databases.values() if e.managed is not None}

    def clients_of(self, db: str) -> list[str]:
        """The users that may open database ``db``: its clients, else every non-stats user."""
        given = self.databases[db].clients
        if given is not None:
            return list(given)
        return [user for user in self.users if user not in self.statsUsers]

    def pooled_services(self) -> set[str]:
        return {e.service for e in self.databases.values() if e.service is not None}


def client_networks(name: str, services: Mapping[str, ServiceSpec]) -> list[str]:
    """The networks of pgBouncer ``name`` that it shares with its clients: those another
    service of the stack joins, the servers it pools aside. Never a network of those servers
    alone (behind pgBouncer), nor one pgBouncer has to itself (its way out to a managed
    cluster, not internal): what may sit next to pgBouncer without reaching past it."""
    service = services[name]
    pooled = _spec(service).pooled_services()
    shared = {
        network
        for other, peer in services.items()
        if other != name and other not in pooled
        for network in peer.networks
    }
    return [n for n in service.networks if n in shared]


def _spec(service: ServiceSpec) -> Spec:
    assert isinstance(service.app, Spec)
    return service.app


def problems(name: str, service: ServiceSpec) -> Iterator[Problem]:
    """The app's own checks; that services and managed databases exist is the spec's rule
    ``rules/databases.py``."""
    from components.spec.errors import Problem  # noqa: PLC0415 -- see components/apps

    app = _spec(service)
    at = ("services", name, "app", "databases")
    for db, entry in app.databases.items():
        if (entry.service is None) == (entry.managed is None):
            yield Problem(
                (*at, db),
                "names neither or both of service and managed; a database is pooled from one "
                "service of the stack or one managed database",
            )
        elif entry.managed is not None:
            given = [k for k in ("dbname", "user", "password") if getattr(entry, k) is not None]
            if given:
                yield Problem(
                    (*at, db),
                    f"sets {', '.join(given)} for managed database {entry.managed}; those come "
                    "from the cluster (platform:databases): remove them",
                )
        elif entry.user is None or entry.password is None:
            yield Problem(
                (*at, db),
                f"pools service {entry.service} but lacks user or password; pgBouncer logs in "
                "to a service as {user, password: {secret: ...}}",
            )
    kinds = {e.managed is not None for e in app.databases.values()}
    if len(kinds) > 1:
        yield Problem(
            at,
            "mixes managed databases (TLS, verify-full) and services of the stack (plain, on an "
            "internal network); pgBouncer has one server TLS mode: use one pgBouncer for each",
        )
    if len(app.managed_databases()) > 1:
        yield Problem(
            at,
            f"names managed databases {', '.join(sorted(app.managed_databases()))}; one "
            "pgBouncer verifies one cluster's CA: use one pgBouncer for each",
        )
    for db, entry in app.databases.items():
        yield from _client_problems(name, app, db, entry)
    for i, user in enumerate(app.statsUsers):
        if user not in app.users:
            yield Problem(
                ("services", name, "app", "statsUsers", i),
                f"{user} is not under platform:services.{name}.app.users ({', '.join(app.users)}); "
                "a stats user logs in with a password of the auth_file",
            )
    for key in ENTRYPOINT_ENV:
        if key in service.env:
            yield Problem(
                ("services", name, "env", key),
                "would make the image's entrypoint write into the auth_file rendered from "
                f"platform:services.{name}.app; remove it from env",
            )


def _client_problems(name: str, app: Spec, db: str, entry: DatabaseEntry) -> Iterator[Problem]:
    """Who may open ``db``: users of the auth_file, never a stats user (its password is the
    exporter's, on a network with a way out), and someone."""
    from components.render.pgbouncer import CONSOLE_DATABASE  # noqa: PLC0415
    from components.spec.errors import Problem  # noqa: PLC0415 -- see components/apps

    at = ("services", name, "app", "databases", db)
    if db == CONSOLE_DATABASE:
        yield Problem(
            at,
            f"{db} is the name of pgBouncer's admin console, which stats users open: give the "
            "database another name (its dbname may still be pgbouncer)",
        )
    for i, user in enumerate(entry.clients or []):
        if user not in app.users:
            yield Problem(
                (*at, "clients", i),
                f"{user} is not under platform:services.{name}.app.users "
                f"({', '.join(app.users)}); a client logs in with a password of the auth_file",
            )
        elif user in app.statsUsers:
            yield Problem(
                (*at, "clients", i),
                f"{user} is a stats user, which opens the console only: its password is the "
                "monitoring exporter's; give the database a user of its own",
            )
    if entry.clients == []:
        yield Problem(
            (*at, "clients"),
            "names no user, so no one may open the database: name users of users, or remove "
            "clients (every user but the stats users)",
        )
    elif not app.clients_of(db):
        yield Problem(
            at,
            "no user may open it: every user of users is a stats user; add a user for its "
            "clients (or name them in clients)",
        )


def contribute(name: str, service: ServiceSpec) -> AppContribution:
    from components import names  # noqa: PLC0415 -- see components/apps

    app = _spec(service)
    user_secrets = {f"user.{user}": ref.secret for user, ref in app.users.items()}
    db_secrets = {
        f"db.{db}.password": e.password.secret
        for db, e in app.databases.items()
        if e.password is not None
    }
    outputs: dict[str, str] = {}
    managed = sorted(app.managed_databases())
    for cluster in managed:
        for key in names.DATABASE_VALUES:
            if key == "ca":
                continue  # its own file
            outputs[f"managed.{cluster}.{key}"] = names.database_value(cluster, key)

    def render_ini(values: Mapping[str, str]) -> str:
        from components.render.pgbouncer import PgbouncerSettings, pgbouncer_ini  # noqa: PLC0415

        return pgbouncer_ini(
            PgbouncerSettings(
                databases=[_database(db, e, values) for db, e in sorted(app.databases.items())],
                auth_file=AUTH_FILE,
                listen_port=app.listenPort,
                pool_mode=app.poolMode,
                max_client_conn=app.maxClientConn,
                default_pool_size=app.defaultPoolSize,
                query_wait_timeout=app.queryWaitTimeoutSeconds,
                server_tls_sslmode="verify-full" if managed else "disable",
                server_tls_ca_file=SERVER_CA_FILE if managed else None,
                stats_users=tuple(app.statsUsers),
                auth_hba_file=HBA_FILE,
            )
        )

    def render_hba() -> str:
        from components.render.pgbouncer import CONSOLE_DATABASE, HbaRule, auth_hba  # noqa: PLC0415

        rules = [HbaRule(db, app.clients_of(db)) for db in sorted(app.databases)]
        if app.statsUsers:
            rules.insert(0, HbaRule(CONSOLE_DATABASE, list(app.statsUsers)))
        return auth_hba(rules)

    def render_users(values: Mapping[str, str]) -> str:
        from components.render.pgbouncer import userlist  # noqa: PLC0415

        return userlist({user: values[f"user.{user}"] for user in app.users})

    def file(path: str, content: str | Rendered) -> FilePlan:
        return FilePlan(path=path, content=content, mode="0400", owner=IMAGE_UID, group=IMAGE_UID)

    files = [
        file(CONFIG_PATH, Rendered(render=render_ini, secrets=db_secrets, outputs=outputs)),
        file(AUTH_FILE, Rendered(render=render_users, secrets=user_secrets)),
        # User and database names only: plain, but the image user's alone like the others.
        file(HBA_FILE, render_hba()),
    ]
    if managed:
        ca = {"ca": names.database_value(managed[0], "ca")}
        files.append(
            file(SERVER_CA_FILE, Rendered(render=lambda v: v["ca"], secrets={}, outputs=ca))
        )
    return AppContribution(files=tuple(files))


def _database(db: str, entry: DatabaseEntry, values: Mapping[str, str]) -> PgbouncerDatabase:
    from components.render.pgbouncer import PgbouncerDatabase  # noqa: PLC0415

    if entry.managed is not None:

        def of(key: str) -> str:
            return values[f"managed.{entry.managed}.{key}"]

        return PgbouncerDatabase(
            name=db,
            host=of("host"),
            port=int(of("port")),
            dbname=of("database"),
            user=of("user"),
            password=of("password"),
        )
    assert entry.service is not None
    assert entry.user is not None
    return PgbouncerDatabase(
        name=db,
        host=entry.service,
        port=entry.port,
        dbname=entry.dbname or db,
        user=entry.user,
        password=values[f"db.{db}.password"],
    )
