"""Backups: every service that keeps data gets a job that fits it, or a declared reason not to;
the off-site repository is off the machine, and one restic run can reach both repositories."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from components.apps.backup import keeps_data, method_of

from ..errors import Problem
from ..partial import parsed
from ._shared import known

if TYPE_CHECKING:
    from ..platform import PlatformSpec


def problems(spec: PlatformSpec) -> Iterator[Problem]:
    if not parsed(spec, "backups") or spec.backups is None:
        return
    backups = spec.backups
    loc = ("backups",)
    if parsed(backups, "services") and parsed(spec, "services"):
        keeping = {
            name
            for name, service in spec.services.items()
            if parsed(service, "image", "volumes", "stateful") and keeps_data(service)
        }
        for name in backups.services:
            if not spec.declared("services", name):
                yield Problem(
                    (*loc, "services", name),
                    f"{name} is not a service; services are {known(spec.services)}",
                )
            elif name in spec.services and name not in keeping:
                yield Problem(
                    (*loc, "services", name),
                    f"{name} keeps no data (not stateful, no volume, no database image): it "
                    "gets no backup job anyway, so there is nothing to skip",
                )
        for name in sorted(keeping - set(backups.services)):
            if method_of(spec.services[name]) is None:
                yield Problem(
                    ("services", name),
                    f"is stateful, but its image {spec.services[name].image} is no database "
                    "the backup jobs know (PostgreSQL, MariaDB, MySQL, MongoDB, Redis, "
                    "InfluxDB 1.x) and it has no named volume to copy: mount its data in a "
                    f"volume, or declare platform:backups.services.{name}.skip with the reason",
                )
    if not parsed(backups, "repository", "offsite") or backups.offsite is None:
        return
    if backups.offsite.kind == "local":
        yield Problem(
            (*loc, "offsite", "kind"),
            "local is on the machine itself, not off-site; use sftp, s3 or rest",
        )
    elif backups.offsite.kind == backups.repository.kind and backups.offsite.kind in (
        "sftp",
        "s3",
    ):
        yield Problem(
            (*loc, "offsite", "kind"),
            f"{backups.offsite.kind} is also the first repository's kind: restic 0.14 (Debian "
            "12) copies with one set of SSH options or S3 credentials for both; make one of "
            "them local or rest",
        )
