"""``platform:backups``: where every machine's restic repository is, its off-site copy, when the
jobs run and what they keep. Which services are backed up, and how, is derived from the stack
(components/apps/backup.py); this section only names the exceptions (``services.<name>.skip``).
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .common import SecretRef, ShellSafe, SshPublicKey, Strict

# systemd.time(7) calendar events, the subset a schedule needs: a shorthand (daily, weekly...),
# or `[weekdays] [date] time` where each date and time part is `*`, a number, a range `a..b`,
# a list `a,b` or a repetition `a/n`. `systemd-analyze calendar` accepts every value this
# accepts (tests/spec/test_backups_spec.py runs it on each).
_SHORTHANDS = frozenset(
    {"minutely", "hourly", "daily", "weekly", "monthly", "yearly", "quarterly", "semiannually"}
)
_DAY = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_WEEKDAYS = re.compile(rf"^{_DAY}(\.\.{_DAY})?(,{_DAY}(\.\.{_DAY})?)*$")
_PART = r"(\*|\d{1,4}(\.\.\d{1,4})?)(/\d{1,3})?"
_FIELD = re.compile(rf"^{_PART}(,{_PART})*$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9._/-]*$")
# restic check --read-data-subset: a percentage, n/t, or a size (restic 0.14 cmd_check.go).
_SUBSET_RE = re.compile(
    r"^((100|[1-9]?[0-9])(\.[0-9]+)?%|[1-9][0-9]*/[1-9][0-9]*|[1-9][0-9]*[KMGT])$"
)


def _calendar(value: str) -> str:
    allowed = (
        "a systemd OnCalendar event such as daily, `*-*-* 03:15:00` or `Sun *-*-* 04:00:00` "
        "(weekdays Mon..Sun, then optionally Y-M-D, then H:M[:S]; each part *, a number, "
        "a range a..b, a list a,b or a repetition a/n)"
    )
    if value in _SHORTHANDS:
        return value
    words = value.split(" ")
    if words and _WEEKDAYS.fullmatch(words[0]):
        words = words[1:]
    if not 1 <= len(words) <= 2:
        raise ValueError(f"is not {allowed}")
    *date, time = words
    parts = [*(date[0].split("-") if date else ()), *time.split(":")]
    if date and len(date[0].split("-")) != 3:
        raise ValueError(f"is not {allowed}")
    if not 2 <= len(time.split(":")) <= 3 or not all(_FIELD.fullmatch(p) for p in parts):
        raise ValueError(f"is not {allowed}")
    return value


Calendar = Annotated[str, AfterValidator(_calendar)]


def _path(value: str) -> str:
    if not _PATH_RE.fullmatch(value) or value == "/" or "/../" in f"{value}/":
        raise ValueError("is not an absolute path of letters, digits and . _ - / (not /)")
    return value.rstrip("/")


AbsolutePath = Annotated[str, AfterValidator(_path)]


class LocalRepository(Strict):
    """A directory on each machine (``<path>/<machine>``): fast restores, lost with the disk."""

    kind: Literal["local"]
    path: AbsolutePath = Field(
        default="/var/backups/restic",
        description="Directory under which each machine's repository lives (<path>/<machine>).",
    )


class SftpRepository(Strict):
    """A directory on an SFTP server (a storage box), reached with its own key."""

    kind: Literal["sftp"]
    host: ShellSafe = Field(description="SFTP server name or address.")
    port: int = Field(default=22, ge=1, le=65535, description="SSH port.")
    user: ShellSafe = Field(description="SSH user on the SFTP server.")
    path: AbsolutePath = Field(
        description="Directory under which each machine's repository lives (<path>/<machine>)."
    )
    privateKey: SecretRef = Field(description="The OpenSSH private key that logs in.")
    hostKey: SshPublicKey = Field(description="The server's SSH host key (pinned).")


class S3Repository(Strict):
    """A bucket of an S3-compatible object store."""

    kind: Literal["s3"]
    endpoint: Annotated[str, Field(pattern=r"^https://[a-z0-9.-]+(:[0-9]{1,5})?$")] = Field(
        description="https:// endpoint of the object store, e.g. https://fsn1.your-objectstorage.com."
    )
    bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] = Field(
        description="Bucket name."
    )
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")] = Field(
        default="restic", description="Key prefix under which each machine's repository lives."
    )
    accessKeyId: SecretRef = Field(description="Access key id (AWS_ACCESS_KEY_ID).")
    secretAccessKey: SecretRef = Field(description="Secret key (AWS_SECRET_ACCESS_KEY).")


class RestRepository(Strict):
    """A restic REST server (rest-server, `rclone serve restic`): https, or http to the
    loopback only (an SSH tunnel), with the server's basic-auth credentials."""

    kind: Literal["rest"]
    url: Annotated[
        str,
        Field(
            pattern=r"^(https://[a-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:[0-9]{1,5})?"
            r"(/[A-Za-z0-9._-]+)*$"
        ),
    ] = Field(description="Server URL, e.g. https://backup.example.net:8000/staging.")
    username: ShellSafe | None = Field(default=None, description="Basic-auth user, if any.")
    password: SecretRef | None = Field(default=None, description="Basic-auth password.")


Repository = Annotated[
    LocalRepository | SftpRepository | S3Repository | RestRepository,
    Field(discriminator="kind"),
]


class RetentionSpec(Strict):
    """What `restic forget --prune` keeps of each job's snapshots (per host and path)."""

    keepDaily: int = Field(default=7, ge=0, le=3660, description="Daily snapshots kept.")
    keepWeekly: int = Field(default=4, ge=0, le=520, description="Weekly snapshots kept.")
    keepMonthly: int = Field(default=6, ge=0, le=1200, description="Monthly snapshots kept.")

    @model_validator(mode="after")
    def _keeps_something(self) -> RetentionSpec:
        if self.keepDaily + self.keepWeekly + self.keepMonthly == 0:
            raise ValueError(
                "keeps nothing: set at least one of keepDaily, keepWeekly, keepMonthly"
            )
        return self


class CheckSpec(Strict):
    """The periodic `restic check --read-data-subset`: reads back part of the stored data."""

    schedule: Calendar = Field(
        default="Sun *-*-* 05:00:00", description="systemd OnCalendar of the check."
    )
    readDataSubset: Annotated[str, Field(pattern=_SUBSET_RE.pattern)] = Field(
        default="5%", description="Part of the data read each time: 5%, 1/7 or 500M."
    )


class ServiceBackupSpec(Strict):
    """A stateful service's exception: no backup job, with the reason (it is shown by the
    policy report as a declared exception)."""

    skip: Annotated[str, Field(min_length=10)] = Field(
        description="Why this stateful service has no backup job (at least a sentence)."
    )


class BackupsSpec(Strict):
    """Backups of every stateful service with restic: a repository per machine, an off-site
    copy, a schedule, retention and a periodic check."""

    repository: Repository = Field(
        default_factory=lambda: LocalRepository(kind="local"),
        description="The first repository: kind local (on the machine), sftp, s3 or rest.",
    )
    password: SecretRef = Field(description="The restic repository password.")
    offsite: Repository | None = Field(
        default=None,
        description="The second repository every snapshot is copied to (`restic copy`): "
        "kind sftp, s3 or rest (never local); none: no off-site copy (the policy pack advises "
        "one).",
    )
    offsitePassword: SecretRef | None = Field(
        default=None, description="The off-site repository's password; default: password."
    )
    schedule: Calendar = Field(
        default="*-*-* 03:00:00", description="systemd OnCalendar of the backup jobs."
    )
    retention: RetentionSpec = Field(default_factory=RetentionSpec, description="forget --prune.")
    check: CheckSpec = Field(default_factory=CheckSpec, description="check --read-data-subset.")
    services: dict[str, ServiceBackupSpec] = Field(
        default_factory=dict,
        description="Per stateful service, by name: only to opt out, with skip: <reason>.",
    )


def backup_secret_refs(backups: BackupsSpec) -> list[tuple[tuple[str | int, ...], SecretRef]]:
    """Every secret the section names, with its config path (checked against platform:secrets)."""
    loc: tuple[str | int, ...] = ("backups",)
    found: list[tuple[tuple[str | int, ...], SecretRef]] = []
    for key in ("password", "offsitePassword"):
        value = getattr(backups, key, None)
        if isinstance(value, SecretRef):
            found.append(((*loc, key, "secret"), value))
    for key in ("repository", "offsite"):
        repository = getattr(backups, key, None)
        if repository is None:
            continue
        for name in type(repository).model_fields:
            value = getattr(repository, name, None)
            if isinstance(value, SecretRef):
                found.append(((*loc, key, name, "secret"), value))
    return found


def backup_secret_paths(backups: BackupsSpec) -> list[str]:
    """The dotted paths of every secret the section names."""
    return sorted({ref.secret for _, ref in backup_secret_refs(backups)})
