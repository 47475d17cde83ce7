"""pgBouncer's app block: the files it renders from jupiter-hybrid's stack file, and its checks
(with the spec's rule for managed databases), each message with its config path."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.apps import pgbouncer
from components.derive.plan import stack_plan
from components.values import Rendered
from tests.spec.spec_helpers import error_text, parse, put
from tests.spec.spec_helpers import mutated as _mutated
from tests.stacks import ROOT, stack_spec

STACK = "jupiter-hybrid"


def _document() -> dict[str, Any]:
    """The stack file's platform config, its secure leaves replaced by placeholder text."""
    config = yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())["config"]
    document = {k.removeprefix("platform:"): v for k, v in config.items()}

    def placeholders(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"secure"}:
            return "example"
        if isinstance(node, dict):
            return {k: placeholders(v) for k, v in node.items()}
        return node

    document["secrets"] = placeholders(document["secrets"])
    return document


BASE = _document()
APP = ("services", "pgbouncer", "app")


def doc(*mutations: Any) -> dict[str, Any]:
    return _mutated(BASE, *mutations)


def test_the_baseline_parses() -> None:
    assert set(parse(doc()).databases) == {"main"}


def test_files_are_rendered_from_the_app_block_as_secrets_for_the_image_user() -> None:
    block = BASE["services"]["pgbouncer"]["app"]
    plan = stack_plan(stack_spec(STACK)).services["pgbouncer"]
    files = {f.path: f for f in plan.files}
    assert set(files) == {
        "/etc/pgbouncer/pgbouncer.ini",
        "/etc/pgbouncer/userlist.txt",
        "/etc/pgbouncer/server-ca.pem",
        "/etc/pgbouncer/pg_hba.conf",
    }
    for file in files.values():
        # Secrets, but the auth_hba_file (names only); all the image user's alone.
        assert isinstance(file.content, Rendered) != file.path.endswith("pg_hba.conf")
        assert (file.mode, file.owner, file.group) == ("0400", "70", "70")
    # The stats users open the console, every other user the stack file's database.
    stats = block["statsUsers"]
    others = [u for u in block["users"] if u not in stats]
    assert files["/etc/pgbouncer/pg_hba.conf"].content == "".join(
        f'host "{db}" {",".join(f"{chr(34)}{u}{chr(34)}" for u in users)} {a} scram-sha-256\n'
        for db, users in [("pgbouncer", stats), *((d, others) for d in block["databases"])]
        for a in ("0.0.0.0/0", "::/0")
    )
    users = files["/etc/pgbouncer/userlist.txt"].content
    assert isinstance(users, Rendered)
    assert dict(users.secrets) == {f"user.{u}": ref["secret"] for u, ref in block["users"].items()}
    # One line per user, sorted, a quote doubled.
    values = {f"user.{u}": f'{u}-pa"ss' for u in block["users"]}
    assert users.render(values) == "".join(f'"{u}" "{u}-pa""ss"\n' for u in sorted(block["users"]))
    ini = files["/etc/pgbouncer/pgbouncer.ini"].content
    ca = files["/etc/pgbouncer/server-ca.pem"].content
    assert isinstance(ini, Rendered)
    assert isinstance(ca, Rendered)
    # The cluster's values, by the names the database component produces them under.
    assert set(ini.outputs.values()) == {
        f"databases.main.{k}" for k in ("host", "port", "database", "user", "password")
    }
    assert dict(ca.outputs) == {"ca": "databases.main.ca"}
    assert plan.env == {}  # nothing for the entrypoint to write from


def test_the_ini_keeps_every_value_in_one_quoted_word() -> None:
    plan = stack_plan(stack_spec(STACK)).services["pgbouncer"]
    ini = next(f.content for f in plan.files if f.path == pgbouncer.CONFIG_PATH)
    assert isinstance(ini, Rendered)
    values = dict.fromkeys(ini.outputs, "x") | {
        "managed.main.port": "25060",
        "managed.main.password": "it's me",
    }
    text = ini.render(values)
    assert "password='it''s me'" in text
    assert "listen_port = 5432" in text
    with pytest.raises(ValueError, match="line break"):
        ini.render(values | {"managed.main.password": "two\nlines"})


def _db(**entry: Any) -> Any:
    return put(*APP, "databases", "jupiter", value=entry)


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            _db(managed="main", service="rabbitmq"),
            "platform:services.pgbouncer.app.databases.jupiter: names neither or both of "
            "service and managed; a database is pooled from one service of the stack or one "
            "managed database",
        ),
        (
            _db(managed="main", user="x", password={"secret": "rabbitmq.password"}),
            "platform:services.pgbouncer.app.databases.jupiter: sets user, password for managed "
            "database main; those come from the cluster (platform:databases): remove them",
        ),
        (
            _db(service="rabbitmq", user="x"),
            "platform:services.pgbouncer.app.databases.jupiter: pools service rabbitmq but "
            "lacks user or password; pgBouncer logs in to a service as {user, password: "
            "{secret: ...}}",
        ),
        (
            _db(managed="other"),
            "platform:services.pgbouncer.app.databases.jupiter.managed: other is not under "
            "platform:databases (declared: main)",
        ),
        (
            _db(service="nginx", user="x", password={"secret": "rabbitmq.password"}),
            "platform:services.pgbouncer.app.databases.jupiter.service: nginx shares no network "
            "with pgbouncer; pgBouncer reaches it by name on a network both join",
        ),
        (
            put("services", "pgbouncer", "networks", value=["backend"]),
            "platform:services.pgbouncer.networks: are all internal, but managed database main "
            "is reached over the internet; add a network that is not internal",
        ),
        (
            put("services", "pgbouncer", "env", value={"DB_USER": "x"}),
            "platform:services.pgbouncer.env.DB_USER: would make the image's entrypoint write "
            "into the auth_file rendered from platform:services.pgbouncer.app; remove it from "
            "env",
        ),
        (
            put(*APP, "statsUsers", value=["stats", "watcher"]),
            "platform:services.pgbouncer.app.statsUsers[1]: watcher is not under "
            "platform:services.pgbouncer.app.users (jupiter, stats); a stats user logs in with "
            "a password of the auth_file",
        ),
        (
            put(*APP, "databases", "jupiter", "clients", value=["stats"]),
            "platform:services.pgbouncer.app.databases.jupiter.clients[0]: stats is a stats "
            "user, which opens the console only: its password is the monitoring exporter's; "
            "give the database a user of its own",
        ),
        (
            put(*APP, "databases", "jupiter", "clients", value=["nobody"]),
            "platform:services.pgbouncer.app.databases.jupiter.clients[0]: nobody is not under "
            "platform:services.pgbouncer.app.users (jupiter, stats); a client logs in with a "
            "password of the auth_file",
        ),
        (
            put(*APP, "databases", "jupiter", "clients", value=[]),
            "platform:services.pgbouncer.app.databases.jupiter.clients: names no user, so no "
            "one may open the database: name users of users, or remove clients (every user but "
            "the stats users)",
        ),
        (
            put(*APP, "statsUsers", value=["stats", "jupiter"]),
            "platform:services.pgbouncer.app.databases.jupiter: no user may open it: every user "
            "of users is a stats user; add a user for its clients (or name them in clients)",
        ),
        (
            put(*APP, "databases", value={"pgbouncer": {"managed": "main"}}),
            "platform:services.pgbouncer.app.databases.pgbouncer: pgbouncer is the name of "
            "pgBouncer's admin console, which stats users open: give the database another name "
            "(its dbname may still be pgbouncer)",
        ),
        # The exporter joins only the networks pgBouncer shares with its clients.
        (
            put("services", "pgbouncer", "networks", value=["dbegress"]),
            "platform:services.pgbouncer.networks: dbegress: no network that pgBouncer shares "
            "with a client (a service other than the servers it pools); platform:monitoring's "
            "exporter joins only those, never the servers' networks or pgBouncer's way out",
        ),
        # The stack is monitored: its pgBouncer exporter needs a stats user to log in as.
        (
            put(*APP, "statsUsers", value=[]),
            "platform:services.pgbouncer.app.statsUsers: names no user; platform:monitoring's "
            "pgBouncer exporter logs in to the console as the first stats user: name a user of "
            "users",
        ),
    ],
)
def test_problems(mutation: Any, expected: str) -> None:
    assert expected in error_text(doc(mutation)).splitlines()


def test_mixing_managed_and_service_upstreams_is_refused() -> None:
    mixed = put(
        *APP,
        "databases",
        "other",
        value={"service": "rabbitmq", "user": "x", "password": {"secret": "rabbitmq.password"}},
    )
    assert (
        "platform:services.pgbouncer.app.databases: mixes managed databases (TLS, verify-full) "
        "and services of the stack (plain, on an internal network); pgBouncer has one server "
        "TLS mode: use one pgBouncer for each"
    ) in error_text(doc(mixed)).splitlines()


def test_a_managed_database_nothing_pools_is_refused() -> None:
    unused = put("databases", "spare", value={**BASE["databases"]["main"], "name": "spare"})
    assert (
        "platform:databases.spare: is pooled by no pgBouncer service, so its firewall would "
        "trust no one; add a service with app kind pgbouncer and a database {managed: spare}"
    ) in error_text(doc(unused)).splitlines()


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("version", "16.2", "platform:databases.main.version:"),
        ("nodes", 4, "platform:databases.main.nodes:"),
        ("user", "Jupiter App", "platform:databases.main.user:"),
        ("region", "fra1; rm", "platform:databases.main.region:"),
    ],
)
def test_managed_database_fields_are_checked(field: str, value: Any, fragment: str) -> None:
    assert fragment in error_text(doc(put("databases", "main", field, value=value)))


def test_a_monitored_pgbouncer_without_the_app_is_refused() -> None:
    # Configured by the image's env (as jupiter-minimal's), it has no stats user to log in as.
    bare = put("services", "pgbouncer", "app", value=None)
    assert (
        "platform:services.pgbouncer.app: edoburu/pgbouncer:v1.25.2-p0 is scraped by "
        "platform:monitoring's pgBouncer exporter, which logs in as a stats user: configure it "
        "as {kind: pgbouncer, ..., statsUsers: [a user of users]} (components/apps/pgbouncer.py)"
    ) in error_text(doc(bare)).splitlines()
