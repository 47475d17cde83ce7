"""command-no-plaintext-secret: pulumi-command resources carry no secret in plaintext.

A plaintext value is stored unencrypted in the state and shown by ``pulumi preview``; a secret
belongs in a Pulumi secret (``pulumi config set --secret``, ``Output.secret``), which the
engine keeps encrypted and masks. Checked on ``command:remote:Command`` and
``command:local:Command``:

- ``environment`` entries whose NAME looks secret by the pack's one rule
  (``lib.secret_names``: PASSWORD, SECRET, TOKEN, ..., a ``_KEY``/``_PASS`` suffix; not
  ``*_FILE``, ``*_PATH``, ``*PUBLIC_KEY``, ...) with a non-empty value that is not a Pulumi
  secret. The same names decide the assignments below.
- ``create``, ``update`` and ``delete`` text that is not a Pulumi secret and holds an obvious
  inline credential: an assignment of a literal to a secret-looking name (``PASSWORD=x``,
  ``export API_TOKEN='x'``, ``-e DB_PASSWORD=x``; ``$VAR``, ``${VAR}``, ``$(...)`` and
  backticks are references, not literals), ``-p<password>`` on a MySQL/MariaDB client,
  ``--password x`` / ``--password=x`` (also ``--token``, ``--db-password`` ...; never
  ``--password-stdin`` or ``--password-file``), a PEM private key block, and a URL with a
  password (``https://user:pass@host``, ``postgres://user:pass@db``).
- ``connection.password``, ``connection.privateKey`` and ``connection.privateKeyPassword``
  (and the same of ``connection.proxy``) present and not a Pulumi secret. (The SDKs mark the
  whole ``connection`` secret, so this catches hand-made or foreign resources.)

Messages name the property and the variable, flag or kind of credential, never the value.

Unknown values: a value that arrived as a Pulumi secret passes without being read, known or not
(a secret is what the rule asks for), so ``environment={"TOKEN": random.result}`` does not
block a preview. An unknown plain value that the rule needs (a command text, the environment
map or connection, the value of a secret-looking environment entry, a connection credential) is
deferred: the SDK reports the policy as not run (advisory) during preview and ``pulumi up``
checks the resolved values. Values the rule does not need (other environment entries,
``stdin``, ``host``) are never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.readers import peek
from lib.rule import resource_rule
from lib.secret_marking import is_secret
from lib.secret_names import is_secret_name
from lib.types import COMMANDS

RESOURCE_TYPES = COMMANDS
SCANNED_PROPERTIES = ("create", "update", "delete")
CONNECTION_SECRETS = ("password", "privateKey", "privateKeyPassword")

# A shell word used as a value: "..." or '...' or unquoted text up to a separator.
_WORD = r"""(?P<value>"[^"\n]*"|'[^'\n]*'|[^\s;&|()<>'"]+)"""
_ASSIGNMENT = re.compile(r"(?:^|(?<=[\s;&|(`'\"]))(?P<name>[A-Za-z_][A-Za-z0-9_]*)=" + _WORD, re.M)
# The client as a command word: not part of a path (`find /var/lib/mysql -perm 600`), an
# image (`mysql:8`) or a package name (`mysql-client`).
_MYSQL_P = re.compile(
    r"(?<![\w/.-])(?P<client>mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow"
    r"|mariadb|mariadb-dump|mariadb-admin)(?=\s)[^\n;|&]*?\s-p(?P<value>[^\s;|&]+)"
)
_FLAG = re.compile(
    r"(?:^|(?<=\s))(?P<flag>--(?:(?!no-)[a-z0-9]+-)*(?:password|passwd|token))(?:=|[ \t]+)" + _WORD,
    re.M,
)
# The armor line followed by (optional headers and) key material; literal "\n" counts too.
_PEM_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\s|\\n)+"
    r"(?:[A-Za-z-]+:[^\n]*?(?:\s|\\n)+)*[A-Za-z0-9+/=]{16}"
)
# `docker run --name mysql -p127.0.0.1:3306:3306`: a port mapping, not a password.
_PORT_MAPPING = re.compile(r"[0-9.]+:[0-9.:]+(?:/[a-z]+)?")
_URL_PASSWORD = re.compile(
    r"\b(?P<scheme>[a-z][a-z0-9+.-]*)://[^\s/?#@:'\"]*:(?P<value>[^\s/?#@'\"]+)@", re.I
)


def _literal(value: str) -> bool:
    """A non-empty literal: no reference to a variable, command output or substitution."""
    if value[:1] in "\"'":
        quote, value = value[0], value[1:-1]
        if quote == "'":
            return bool(value)
    return bool(value) and "$" not in value and "`" not in value


def _inline_credentials(text: str) -> Iterator[tuple[int, str]]:
    """(position, description) of each inline credential in a command text."""
    for match in _ASSIGNMENT.finditer(text):
        start, value = match.start(), match["value"]
        if start and text[start - 1] in "'\"" and value[0] in "'\"":
            continue  # `grep 'TOKEN=' f 'x'`: a pattern ending in `=`, not an assignment
        if is_secret_name(match["name"]) and _literal(value):
            yield match.start(), f"assigns a literal value to {match['name']}"
    for match in _MYSQL_P.finditer(text):
        value = match["value"]
        if _literal(value) and not _PORT_MAPPING.fullmatch(value):
            yield match.start("value"), f"passes a literal password to {match['client']} with -p"
    for match in _FLAG.finditer(text):
        if not match["value"].startswith("-") and _literal(match["value"]):
            yield match.start(), f"passes a literal value to {match['flag']}"
    for match in _PEM_KEY.finditer(text):
        yield match.start(), "contains a PEM private key block"
    for match in _URL_PASSWORD.finditer(text):
        if _literal(match["value"]):
            yield match.start(), f"contains a {match['scheme']}:// URL with a password"


def _plain(mapping: Any, key: str) -> Any:
    """The value at ``key`` unless it is absent or a Pulumi secret; unknown values raise."""
    raw = peek(mapping, key)
    if raw is None or is_secret(raw):
        return None
    return mapping[key]  # through the proxy: an unknown plain value defers the policy


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = args.props
    for prop in SCANNED_PROPERTIES:
        text = _plain(props, prop)
        if not isinstance(text, str):
            continue
        reported: set[str] = set()
        for _, finding in sorted(_inline_credentials(text)):
            if finding not in reported:
                reported.add(finding)
                report_violation(f"`{prop}` {finding}.", None)
    environment = _plain(props, "environment")
    if isinstance(environment, Mapping):
        for name in sorted(environment):
            if not is_secret_name(name):
                continue
            value = _plain(environment, name)
            if isinstance(value, str) and value:
                report_violation(f"`environment` sets {name} in plaintext.", None)
    connection = _plain(props, "connection")
    if isinstance(connection, Mapping):
        _check_connection(connection, "connection", report_violation)
        proxy = _plain(connection, "proxy")
        if isinstance(proxy, Mapping):
            _check_connection(proxy, "connection.proxy", report_violation)


def _check_connection(connection: Any, path: str, report_violation: ReportViolation) -> None:
    for key in CONNECTION_SECRETS:
        value = _plain(connection, key)
        if isinstance(value, str) and value:
            report_violation(f"`{path}.{key}` is in plaintext.", None)


command_no_plaintext_secret = resource_rule(
    name="command-no-plaintext-secret",
    rule_id="CMD-001",
    resource_types=RESOURCE_TYPES,
    description=(
        "Commands (pulumi-command) hold no plaintext secret in their scripts, environment or "
        "connection: secrets are Pulumi secrets."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Store the value as a secret (`pulumi config set --secret`, `pulumi.Output.secret`) "
        "and pass it in `environment` (the script reads `$NAME`) or `stdin`, or make the whole "
        "`create`/`update`/`delete` text a secret; rotate any credential that was committed or "
        "already stored in the state."
    ),
    validate=_validate,
)
