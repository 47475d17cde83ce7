"""Eclipse Mosquitto 2.x: ``mosquitto.conf``, the password file and the ACL file.

Which form authentication takes depends on the broker's version (``auth_form``):

- 2.0.x (Debian bookworm ships 2.0.11): the ``password_file`` and ``acl_file`` options.
- 2.1.0 and later: the ``mosquitto_password_file`` and ``mosquitto_acl_file`` plugins. The
  2.1.0 ChangeLog (eclipse-mosquitto/mosquitto ChangeLog.txt, "2.1.0 - 2026-01-29",
  "Deprecations") deprecates both options "in favour of the ... plugin, which is the same code
  but moved into a plugin", to be removed in 3.0. The plugins are loaded with ``plugin <path>``
  followed by their ``plugin_opt_password_file`` / ``plugin_opt_acl_file`` (docker/2.1-alpine/
  README.md:51-56; plugins/password-file/plugin.c and plugins/acl-file/plugin.c
  ``handle_options``), installed by the official 2.1 images as /usr/lib/mosquitto_acl_file.so
  and /usr/lib/mosquitto_password_file.so (docker/2.1-alpine/Dockerfile:74-76,
  docker/2.1-ubuntu/Dockerfile:78-80).

Both forms read the same files. Password lines are ``user:$7$<iterations>$<salt>$<hash>``:
PBKDF2-HMAC-SHA512, a 12-byte salt and a 64-byte hash, base64 with padding. 2.0.11 accepts a
salt of exactly 12 bytes (src/security_default.c:899 ``salt_len == 12``) and a 64-byte hash
(line 905); 2.1 accepts 12 or 64 (libcommon/password_common.c:328). Any iteration count of at
least 1 is read from the line (2.0.11 security_default.c:884-885); 1000 is 2.1's default
(password_common.c:47; 2.0.x's mosquitto_passwd wrote 101).

The hash is deterministic: the salt is derived from the password and the user name, not drawn
at random. The file is uploaded into the container, and pulumi-docker replaces a container
whenever an upload changes (components/docker/container_service.py ``ConfigFile``): a random
salt would replace the broker, and drop every device's connection, on every ``up``. The cost is
that the same user with the same password hashes the same everywhere, so stack passwords must
be long random secrets (a table built for one user name and one guessed password would match
any stack that used both).

An ACL file the broker cannot parse stops it: at start on every version, on reload (SIGHUP)
from 2.1 ("acl_file and password_file will produce an error on invalid input when reloading
the config, causing the broker to quit", 2.1.0 "Behaviour changes"). The rules the parser
applies (plugins/acl-file/acl_parse.c:214-266 in 2.1, src/security_default.c:544-596 in
2.0.11): ``topic|pattern [read|write|readwrite|deny] <topic>``, the topic passing
``mosquitto_sub_topic_check`` (lib/util_topic.c:117-154: ``+`` and ``#`` only as a whole level,
``#`` last, at most 65535 bytes and 200 ``/``). ``acl_rule_problems`` refuses anything else,
and whitespace or control characters, which the line format cannot carry safely.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .input_errors import check, check_port, raise_if

AuthForm = Literal["options", "plugins"]
Access = Literal["read", "write", "readwrite", "deny"]
ACCESS: tuple[Access, ...] = ("read", "write", "readwrite", "deny")

CONFIG_DIR = "/mosquitto/config"
CONFIG_PATH = f"{CONFIG_DIR}/mosquitto.conf"
PASSWORD_PATH = f"{CONFIG_DIR}/passwords"
ACL_PATH = f"{CONFIG_DIR}/acl"
CERT_PATH = f"{CONFIG_DIR}/server.crt"
KEY_PATH = f"{CONFIG_DIR}/server.key"
DATA_DIR = "/mosquitto/data/"
PLUGIN_DIR = "/usr/lib"

PBKDF2_ITERATIONS = 1000
SALT_BYTES = 12
HASH_BYTES = 64
# The length a topic may have and the "/" it may hold (lib/util_topic.c:148-150,
# TOPIC_HIERARCHY_LIMIT in src/mosquitto_broker_internal.h:59, 2.0.11).
TOPIC_MAX_BYTES = 65535
TOPIC_MAX_SEPARATORS = 200
# Names in the password file (no ":", mosquitto_passwd(1)) and after `user ` in the ACL file.
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


def auth_form(version: tuple[int, int, int]) -> AuthForm:
    """The options up to 2.0.x, the file plugins from 2.1.0 (see the module docstring)."""
    return "plugins" if version >= (2, 1, 0) else "options"


_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:-.*)?$")


def image_version(tag: str) -> tuple[int, int, int] | None:
    """``2.0.22`` or ``2.1.2-alpine`` -> (2, 1, 2); a tag without a version -> None."""
    match = _VERSION.fullmatch(tag)
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def acl_topic_problems(topic: str, *, pattern: bool) -> Iterator[str]:
    """Why the broker would refuse ``topic`` in an ACL line (nothing when it accepts it)."""
    if not topic:
        yield "is empty"
        return
    if _UNSAFE.search(topic):
        yield "holds whitespace or a control character, which an ACL line cannot carry"
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if "+" in level and level != "+":
            yield f"has '+' inside the level {level!r}; '+' stands for a whole level"
        if "#" in level and (level != "#" or index != len(levels) - 1):
            yield f"has '#' in the level {level!r}; '#' is only the whole last level"
    if len(topic.encode()) > TOPIC_MAX_BYTES:
        yield f"is longer than {TOPIC_MAX_BYTES} bytes"
    if topic.count("/") > TOPIC_MAX_SEPARATORS:
        yield f"has more than {TOPIC_MAX_SEPARATORS} levels"
    if not pattern and ("%u" in topic or "%c" in topic):
        yield "uses %u or %c, which only a pattern substitutes; declare it under patterns"


@dataclass(frozen=True)
class AclRule:
    access: Access
    topic: str


@dataclass(frozen=True)
class MosquittoSettings:
    """One broker: a TLS listener and a plain one, no anonymous client, users and their ACLs.

    ``acl`` maps a user to its rules; ``patterns`` apply to every user (``%u``, ``%c``)."""

    auth: AuthForm
    tls_port: int = 8883
    plain_port: int = 1883
    acl: Mapping[str, Sequence[AclRule]] = field(default_factory=dict)
    patterns: Sequence[AclRule] = ()


def _check(settings: MosquittoSettings) -> None:
    problems: list[str] = []
    check_port(problems, "tls_port", settings.tls_port)
    check_port(problems, "plain_port", settings.plain_port)
    check(
        problems,
        settings.tls_port != settings.plain_port,
        "plain_port",
        settings.plain_port,
        "a port other than tls_port",
    )
    rules: list[tuple[str | None, AclRule, bool]] = [
        (user, rule, False) for user, rs in settings.acl.items() for rule in rs
    ]
    rules += [(None, rule, True) for rule in settings.patterns]
    for user, rule, pattern in rules:
        if user is not None:
            check(problems, bool(USER_NAME.match(user)), "acl", user, "a user name")
        check(problems, rule.access in ACCESS, "access", rule.access, "|".join(ACCESS))
        for why in acl_topic_problems(rule.topic, pattern=pattern):
            problems.append(f"topic={rule.topic!r}: {why}")
    raise_if("mosquitto", problems)


def mosquitto_conf(settings: MosquittoSettings) -> str:
    """``mosquitto.conf``: global authentication, then the two listeners."""
    _check(settings)
    if settings.auth == "plugins":
        auth = [
            f"plugin {PLUGIN_DIR}/mosquitto_password_file.so",
            f"plugin_opt_password_file {PASSWORD_PATH}",
            f"plugin {PLUGIN_DIR}/mosquitto_acl_file.so",
            f"plugin_opt_acl_file {ACL_PATH}",
        ]
    else:
        auth = [f"password_file {PASSWORD_PATH}", f"acl_file {ACL_PATH}"]
    lines = [
        "# Rendered by the stack (components/render/mosquitto.py).",
        "# No client without a user and password, on any listener (2.x's default, stated).",
        "allow_anonymous false",
        *auth,
        "persistence true",
        f"persistence_location {DATA_DIR}",
        "log_dest stdout",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        "",
        "# Public: MQTT over TLS only (certificate and key from the stack's secrets).",
        f"listener {settings.tls_port}",
        "protocol mqtt",
        f"certfile {CERT_PATH}",
        f"keyfile {KEY_PATH}",
        "tls_version tlsv1.2",
        "",
        "# Plain MQTT for the services on the broker's internal network; never published.",
        f"listener {settings.plain_port}",
        "protocol mqtt",
    ]
    return "\n".join(lines) + "\n"


def acl_file(settings: MosquittoSettings) -> str:
    """The ACL file: patterns (every user), then each user's topics. Nothing is granted to
    anonymous clients (none may connect) or to users it does not name."""
    _check(settings)
    lines = ["# Rendered by the stack (components/render/mosquitto.py)."]
    lines += [f"pattern {rule.access} {rule.topic}" for rule in settings.patterns]
    for user, rules in sorted(settings.acl.items()):
        lines += ["", f"user {user}"]
        lines += [f"topic {rule.access} {rule.topic}" for rule in rules]
    return "\n".join(lines) + "\n"


def password_hash(user: str, password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    """``$7$`` PBKDF2-SHA512 of ``password``, with a salt derived from it and ``user``."""
    salt = hmac.new(
        password.encode(), b"mosquitto-salt\0" + user.encode(), hashlib.sha256
    ).digest()[:SALT_BYTES]
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, HASH_BYTES)
    encode = base64.standard_b64encode
    return f"$7${iterations}${encode(salt).decode()}${encode(digest).decode()}"


def password_file(passwords: Mapping[str, str]) -> str:
    """``user:hash`` lines, one per user, in name order."""
    problems: list[str] = []
    for user, password in passwords.items():
        check(problems, bool(USER_NAME.match(user)), "user", user, "a user name without ':'")
        check(problems, bool(password), f"password[{user}]", "", "a non-empty password")
    raise_if("mosquitto password file", problems)
    return "".join(
        f"{user}:{password_hash(user, password)}\n" for user, password in sorted(passwords.items())
    )
