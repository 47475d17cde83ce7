"""docker-container-no-default-credentials: well-known services never run with default or no
credentials.

The image decides which rules apply (``images.parse_image``: registry, ``library/``, tag and
digest are ignored, so ``docker.io/library/redis:7`` is ``redis``). What the container's own
properties (``envs``, ``command``, ``entrypoints``, ``volumes``, ``mounts``, ``uploads``)
prove is checked; files the image or a volume brings along are not visible and prove nothing.
Environment variables are ``NAME=value`` entries, compared by exact NAME; when a NAME repeats
the last entry counts.

* RabbitMQ (``rabbitmq``): ``RABBITMQ_DEFAULT_USER`` and ``RABBITMQ_DEFAULT_PASS`` must be set
  and must not be ``guest``; unset, RabbitMQ creates guest/guest. (The image refuses the old
  ``*_FILE`` variants, and a user defined in a mounted rabbitmq.conf is not visible.)
* Redis (``redis``, ``valkey/valkey``): these images build the server with protected mode off
  and read no password variable, so a password exists only when ``command`` or
  ``entrypoints`` passes ``--requirepass`` with a value (a separate argument, or inside a
  shell string such as ``sh -c "redis-server --requirepass $$PASS"``). ``REDIS_PASSWORD`` in
  ``envs`` alone does nothing and does not count; neither does a config or ACL file.
* Bitnami Redis (``bitnami/redis``): a password is ``REDIS_PASSWORD`` or
  ``REDIS_PASSWORD_FILE`` with a value, or ``--requirepass`` as above.
* Bitnami images (``bitnami/redis``, ``bitnami/mysql``, ``bitnami/mariadb``,
  ``bitnami/postgresql``, ``bitnami/mongodb``): ``ALLOW_EMPTY_PASSWORD`` set to yes, true or
  1 (any case, as Bitnami's ``is_boolean_yes``) is a violation even when a password is also
  set: its only effect is to let the server run without one.
* MySQL (``mysql``): ``MYSQL_ALLOW_EMPTY_PASSWORD``, and MariaDB (``mariadb``):
  ``MARIADB_ALLOW_EMPTY_ROOT_PASSWORD`` or ``MYSQL_ALLOW_EMPTY_PASSWORD``, with any non-empty
  value: the entrypoints test only for non-empty, so ``no`` and ``false`` enable it too.
* PostgreSQL (``postgres`` and images built on its entrypoint: ``postgis/postgis``,
  ``timescale/timescaledb``, ``pgvector/pgvector``): ``POSTGRES_HOST_AUTH_METHOD`` ``trust``
  (any case, surrounding spaces ignored), which lets every host in without a password.
* MongoDB (``mongo``, ``mongodb/mongodb-community-server``): without
  ``MONGO_INITDB_ROOT_PASSWORD`` or ``MONGO_INITDB_ROOT_PASSWORD_FILE`` with a value the
  entrypoint creates no user and mongod runs without authentication.
* Mosquitto (``eclipse-mosquitto``): ``allow_anonymous true`` in ``command``,
  ``entrypoints``, an ``envs`` value or an uploaded file's ``content``/``contentBase64`` is a
  violation. Without a configuration, Mosquitto 2.x listens on the container's loopback only,
  so no client outside the container can connect, anonymous or not: not a violation (the
  broker is unusable, not open). Mosquitto 1.x (a tag ``1``, ``1.x...``) without a
  configuration listens on every interface and allows anonymous clients: a violation. A
  configuration counts as provided when a volume, mount or upload targets
  ``/mosquitto/config`` or below it, or ``command``/``entrypoints`` pass ``-c`` with another
  file; its content (for example ``allow_anonymous true``) is then not visible. An image
  without a tag, or pinned by digest only, is taken as the current 2.x.

An image given as an image ID (``sha256:...``) names no service, so nothing is checked.

Unknown values:

* An unknown ``image`` is deferred (the SDK reports the policy as not run during preview and
  ``pulumi up`` checks the resolved value). Images of no service above are never read further.
* An unknown list (``envs``, ``command``, ...) the service's rules need is deferred.
* An unknown password value is accepted: it comes from a resource output and cannot be one of
  the default literals above. This covers ``--requirepass`` followed by an unknown argument,
  and unknown entries when only a literal is looked for (``guest``, ``trust``, an
  ``ALLOW_EMPTY`` flag, ``allow_anonymous true``).
* But an unknown ``envs`` entry hides its NAME too (``Output.concat("X=", value)`` is one
  unknown string), so a rule that needs a variable to be present (RabbitMQ user and password,
  Redis and MongoDB passwords) and finds it in no known entry is deferred, after the
  violations of the known entries are reported. Likewise an unknown ``command`` argument when
  no known one passes ``--requirepass``, and an unknown volume, mount or upload when Mosquitto
  1.x needs a configuration.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from lib.images import parse_image
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)

RABBITMQ_IMAGES = ("rabbitmq",)
RABBITMQ_DEFAULT = "guest"
REDIS_IMAGES = ("redis", "valkey/valkey")
BITNAMI_REDIS_IMAGES = ("bitnami/redis",)
BITNAMI_ALLOW_EMPTY_IMAGES = (
    "bitnami/redis",
    "bitnami/mysql",
    "bitnami/mariadb",
    "bitnami/postgresql",
    "bitnami/mongodb",
)
BITNAMI_YES = ("yes", "true", "1")
# Variables whose non-empty value allows an empty root password, by image.
EMPTY_ROOT_PASSWORD_FLAGS: dict[str, tuple[str, ...]] = {
    "mysql": ("MYSQL_ALLOW_EMPTY_PASSWORD",),
    "mariadb": ("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD"),
}
POSTGRES_IMAGES = ("postgres", "postgis/postgis", "timescale/timescaledb", "pgvector/pgvector")
MONGO_IMAGES = ("mongo", "mongodb/mongodb-community-server")
MOSQUITTO_IMAGES = ("eclipse-mosquitto",)
MOSQUITTO_CONFIG_DIR = "/mosquitto/config"
MOSQUITTO_DEFAULT_CONFIG = "/mosquitto/config/mosquitto.conf"
# Where each list property names its path in the container.
CONFIG_TARGETS = (("volumes", "containerPath"), ("mounts", "target"), ("uploads", "file"))
MOSQUITTO_1 = re.compile(r"1(?:[.-].*)?")
ALLOW_ANONYMOUS = re.compile(r"allow_anonymous\s+true\b", re.IGNORECASE)
REQUIREPASS = "--requirepass"
REQUIREPASS_IN_SHELL = re.compile(r"--requirepass[\s=]+\S")

SERVICES = frozenset(
    RABBITMQ_IMAGES
    + REDIS_IMAGES
    + BITNAMI_REDIS_IMAGES
    + BITNAMI_ALLOW_EMPTY_IMAGES
    + tuple(EMPTY_ROOT_PASSWORD_FLAGS)
    + POSTGRES_IMAGES
    + MONGO_IMAGES
    + MOSQUITTO_IMAGES
)


class Items:
    """A list property read around its unknown parts.

    ``known`` holds (index, value) of every known element. An unknown element, or an unknown
    list, is recorded instead of raising; ``defer()`` reads it again, which raises inside the
    SDK's proxy so the SDK reports the policy as not run during preview.
    """

    def __init__(self, props: Any, key: str) -> None:
        self.props, self.key = props, key
        self.source: Sequence[Any] = []
        self.known: list[tuple[int, Any]] = []
        self.first_unknown: int | None = None
        self.unknown_list = False
        try:
            self.source = props.get(key) or []
        except UnknownValueError:
            self.unknown_list = True
            return
        for index in range(len(self.source)):
            try:
                self.known.append((index, self.source[index]))
            except UnknownValueError:
                if self.first_unknown is None:
                    self.first_unknown = index

    @property
    def has_unknown(self) -> bool:
        return self.unknown_list or self.first_unknown is not None

    def defer(self) -> None:
        if self.unknown_list:
            self.props.get(self.key)  # raises UnknownValueError
        elif self.first_unknown is not None:
            self.source[self.first_unknown]  # raises UnknownValueError

    def strings(self) -> list[str]:
        return [value for _, value in self.known if isinstance(value, str)]


class Reader:
    """The container's list properties, each read once, and what could not be decided."""

    def __init__(self, props: Any) -> None:
        self.props = props
        self.lists: dict[str, Items] = {}
        self.violations: list[str] = []
        # Unknown values that could change an answer: read again after reporting, to defer.
        self.undecided: list[Callable[[], Any]] = []

    def items(self, key: str) -> Items:
        if key not in self.lists:
            self.lists[key] = Items(self.props, key)
        return self.lists[key]

    def env(self) -> Env:
        return Env(self.items("envs"))

    def finish(self, report_violation: ReportViolation) -> None:
        for message in self.violations:
            report_violation(message, None)
        for reread in self.undecided:
            reread()
        # A list that is unknown as a whole could hold anything a rule looks for; an unknown
        # element is deferred only where a rule put it in `undecided`.
        for items in self.lists.values():
            if items.unknown_list:
                items.defer()


class Env:
    """``envs`` as NAME -> value (last entry wins), read around unknown entries."""

    def __init__(self, items: Items) -> None:
        self.items = items
        self.values: dict[str, str] = {}
        for entry in items.strings():
            name, equals, value = entry.partition("=")
            if equals:
                self.values[name] = value

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def has_value(self, *names: str) -> bool:
        return any(self.values.get(name) for name in names)


UNKNOWN_FIELD = object()


def _field(entry: Any, key: str) -> Any:
    """``entry[key]`` (None when missing), or UNKNOWN_FIELD when unknown."""
    if not isinstance(entry, Mapping):
        return None
    try:
        return entry.get(key)
    except UnknownValueError:
        return UNKNOWN_FIELD


def _rabbitmq(read: Reader) -> None:
    env = read.env()
    for name, what in (("RABBITMQ_DEFAULT_USER", "user"), ("RABBITMQ_DEFAULT_PASS", "password")):
        value = env.get(name)
        if value is None:
            if env.items.has_unknown:
                read.undecided.append(env.items.defer)
            else:
                read.violations.append(
                    f"{name} is not set, so RabbitMQ uses the default {what} guest."
                )
        elif value == RABBITMQ_DEFAULT:
            read.violations.append(f"{name} is the default {what} guest.")


def _requirepass(args: Items) -> bool | None:
    """Whether ``args`` pass ``--requirepass`` with a value; None when unknowns could."""
    values = dict(args.known)
    for index, value in args.known:
        if not isinstance(value, str):
            continue
        if REQUIREPASS_IN_SHELL.search(value):
            return True
        if value != REQUIREPASS or index + 1 >= len(args.source):
            continue
        if index + 1 not in values:
            return True  # an unknown password cannot be empty or a default literal
        password = values[index + 1]
        if isinstance(password, str) and password and not password.startswith("--"):
            return True
    return None if args.has_unknown else False


def _redis(read: Reader, bitnami: bool) -> None:
    env = read.env()
    if bitnami and env.has_value("REDIS_PASSWORD", "REDIS_PASSWORD_FILE"):
        return
    undecided = []
    for key in ("command", "entrypoints"):
        args = read.items(key)
        proven = _requirepass(args)
        if proven:
            return
        if proven is None:
            undecided.append(args.defer)
    if bitnami and env.items.has_unknown:
        undecided.append(env.items.defer)
    if undecided:
        read.undecided.extend(undecided)
    elif bitnami:
        read.violations.append(
            "No password: REDIS_PASSWORD is not set, and neither `command` nor `entrypoints` "
            "passes --requirepass."
        )
    elif env.get("REDIS_PASSWORD") is not None:
        read.violations.append(
            "No password: neither `command` nor `entrypoints` passes --requirepass (the image "
            "does not read REDIS_PASSWORD)."
        )
    else:
        read.violations.append(
            "No password: neither `command` nor `entrypoints` passes --requirepass."
        )


def _bitnami_allow_empty(read: Reader) -> None:
    value = read.env().get("ALLOW_EMPTY_PASSWORD")
    if value is not None and value.lower() in BITNAMI_YES:
        read.violations.append(f"ALLOW_EMPTY_PASSWORD is {value}, which allows no password.")


def _empty_root_password(read: Reader, flags: Iterable[str]) -> None:
    env = read.env()
    for name in flags:
        if env.get(name):
            read.violations.append(
                f"{name} is set, which allows an empty root password (the image treats any "
                "non-empty value, even no or false, as yes)."
            )


def _postgres(read: Reader) -> None:
    value = read.env().get("POSTGRES_HOST_AUTH_METHOD")
    if value is not None and value.strip().lower() == "trust":
        read.violations.append(
            "POSTGRES_HOST_AUTH_METHOD is trust, which lets every host in without a password."
        )


def _mongo(read: Reader) -> None:
    env = read.env()
    if env.has_value("MONGO_INITDB_ROOT_PASSWORD", "MONGO_INITDB_ROOT_PASSWORD_FILE"):
        return
    if env.items.has_unknown:
        read.undecided.append(env.items.defer)
        return
    read.violations.append(
        "MONGO_INITDB_ROOT_PASSWORD is not set, so MongoDB runs without authentication."
    )


def _is_config_path(path: Any) -> bool:
    if not isinstance(path, str) or not path:
        return False
    normalized: str = posixpath.normpath("/" + path.lstrip("/"))
    return normalized == MOSQUITTO_CONFIG_DIR or normalized.startswith(MOSQUITTO_CONFIG_DIR + "/")


def _upload_text(upload: Any) -> str:
    """An upload's text; "" when unknown (an unknown value is not a default literal)."""
    text = _field(upload, "content")
    if isinstance(text, str):
        return text
    encoded = _field(upload, "contentBase64")
    if isinstance(encoded, str):
        try:
            return base64.b64decode(encoded).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return ""
    return ""


def _custom_config_arg(args: Items) -> bool:
    """Whether ``args`` pass ``-c`` with a file other than the image's default."""
    values = dict(args.known)
    for index, value in args.known:
        if value != "-c" or index + 1 >= len(args.source):
            continue
        path = values.get(index + 1, UNKNOWN_FIELD)  # an unknown path is not the default
        if path != MOSQUITTO_DEFAULT_CONFIG:
            return True
    return False


def _mosquitto(read: Reader, tag: str | None) -> None:
    command, entrypoints = read.items("command"), read.items("entrypoints")
    uploads = read.items("uploads")
    places = [
        ("the command", command.strings()),
        ("the entrypoint", entrypoints.strings()),
        ("an environment variable", list(read.env().values.values())),
        ("an uploaded file", [_upload_text(upload) for _, upload in uploads.known]),
    ]
    for where, texts in places:
        if any(ALLOW_ANONYMOUS.search(text) for text in texts):
            read.violations.append(f"allow_anonymous true is set in {where}.")
    if tag is None or not MOSQUITTO_1.fullmatch(tag):
        return
    if _custom_config_arg(command) or _custom_config_arg(entrypoints):
        return
    undecided: list[Callable[[], Any]] = []
    for key, target_key in CONFIG_TARGETS:
        items = read.items(key)
        if items.has_unknown:
            undecided.append(items.defer)
        for _, entry in items.known:
            target = _field(entry, target_key)
            if target is UNKNOWN_FIELD:
                undecided.append(partial(entry.get, target_key))
            elif _is_config_path(target):
                return
    if undecided:
        read.undecided.extend(undecided)
        return
    read.violations.append(
        f"Mosquitto {tag} has no configuration mounted at /mosquitto/config, so it allows "
        "anonymous clients on every interface."
    )


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    image = args.props.get("image")
    if not isinstance(image, str):
        return
    ref = parse_image(image)
    service = ref.repository
    if service not in SERVICES:
        return  # read nothing else: unknown values elsewhere do not matter
    read = Reader(args.props)
    if service in RABBITMQ_IMAGES:
        _rabbitmq(read)
    if service in REDIS_IMAGES or service in BITNAMI_REDIS_IMAGES:
        _redis(read, bitnami=service in BITNAMI_REDIS_IMAGES)
    if service in BITNAMI_ALLOW_EMPTY_IMAGES:
        _bitnami_allow_empty(read)
    if service in EMPTY_ROOT_PASSWORD_FLAGS:
        _empty_root_password(read, EMPTY_ROOT_PASSWORD_FLAGS[service])
    if service in POSTGRES_IMAGES:
        _postgres(read)
    if service in MONGO_IMAGES:
        _mongo(read)
    if service in MOSQUITTO_IMAGES:
        _mosquitto(read, ref.tag)
    read.finish(report_violation)


docker_container_no_default_credentials = resource_rule(
    name="docker-container-no-default-credentials",
    rule_id="DKR-016",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers of well-known services (RabbitMQ, Redis/Valkey, Mosquitto, "
        "MySQL/MariaDB, PostgreSQL, MongoDB) never run with default, empty or no credentials."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Give the service its own credentials as Pulumi secrets: RABBITMQ_DEFAULT_USER and "
        "RABBITMQ_DEFAULT_PASS; `--requirepass` in the Redis/Valkey command (REDIS_PASSWORD "
        "for bitnami/redis); MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD; a "
        "root password instead of MYSQL_ALLOW_EMPTY_PASSWORD, "
        "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD or ALLOW_EMPTY_PASSWORD; a password instead of "
        "POSTGRES_HOST_AUTH_METHOD=trust; for Mosquitto a mounted mosquitto.conf with "
        "`allow_anonymous false` and a `password_file`."
    ),
    validate=_validate,
)
