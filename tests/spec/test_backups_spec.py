"""platform:backups: bad input named with its path, every problem at once; jobs derived from
the stack (never listed by hand); a calendar the spec accepts is one systemd accepts."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from components.apps.backup import BACKUP_RULE, backup_jobs, method_of
from components.derive.plan import stack_plan
from components.spec.backups import _calendar
from tests.spec.spec_helpers import drop, error_text, parse, put
from tests.spec.test_models import doc
from tests.stacks import stack_spec
from tests.tools import tool


def _service(name: str, **fields: Any) -> Any:
    def apply(document: dict[str, Any]) -> None:
        document["services"][name] = {"machine": "backend", "networks": ["app"], **fields}

    return apply


def test_prod_jobs_are_derived_from_its_stateful_services() -> None:
    plan = stack_plan(stack_spec("prod"))
    jobs = {
        job.service: (machine, job.method) for machine, m in plan.backups.items() for job in m.jobs
    }
    # prod's stack file: npm (volumes npm-data, npm-letsencrypt) and redis (redis:7.4.2); its
    # platform:monitoring block adds Prometheus, Alertmanager and Grafana, each with its volume:
    # Prometheus's and Alertmanager's read while they run (docs/backups.md), Grafana's stopped.
    assert jobs == {
        "npm": ("proxy", "volumes"),
        "redis": ("livekit", "redis"),
        "prometheus": ("monitoring", "prometheus"),
        "alertmanager": ("monitoring", "alertmanager"),
        "grafana": ("monitoring", "volumes"),
    }
    assert plan.backups["proxy"].is_guest


def test_hub_jobs_fit_each_engine() -> None:
    plan = stack_plan(stack_spec("hub"))
    methods = {job.service: job.method for job in plan.backups["hub"].jobs}
    assert methods == {
        "traefik": "volumes",
        "chat-postgres": "postgres",
        "chat-redis": "redis",
        "hub-backend": "volumes",
        "hub-db": "mariadb",
        "hub-redis-cache": "redis",
        "hub-redis-queue": "redis",
        # hub's platform:monitoring block adds the set, whose members keep data in volumes:
        # Prometheus's snapshot and Alertmanager's state files, read while they run.
        "prometheus": "prometheus",
        "alertmanager": "alertmanager",
        "grafana": "volumes",
    }


@pytest.mark.parametrize(
    ("image", "volumes", "method"),
    [
        ("postgres:16.4", False, "postgres"),
        ("postgis/postgis:16-3.4", False, "postgres"),
        ("mariadb:11.4", False, "mariadb"),
        ("mysql:8.4", False, "mysql"),
        ("mongo:7.0", False, "mongodb"),
        ("redis:7.4.2", False, "redis"),
        ("influxdb:1.8.10", False, "influxdb"),
        ("influxdb:2.7.10", True, "volumes"),
        ("influxdb:2.7.10", False, None),
        ("nginx:1.27", True, "volumes"),
        ("nginx:1.27", False, None),
        ("prom/prometheus:v2.53.3", True, "prometheus"),
        ("prom/alertmanager:v0.27.0", True, "alertmanager"),
        ("grafana/grafana:11.3.0", True, "volumes"),
    ],
)
def test_method_from_image(image: str, volumes: bool, method: str | None) -> None:
    fields: dict[str, Any] = {"image": image, "stateful": method is not None}
    if volumes:
        fields["volumes"] = [{"name": "data", "path": "/data"}]
    spec = parse(doc(_service("x", **fields)))
    assert method_of(spec.services["x"]) == method


def test_skip_is_a_declared_exception_and_no_job() -> None:
    reason = "a cache the app rebuilds from the database on start"
    spec = parse(doc(put("backups", "services", value={"redis": {"skip": reason}})))
    plan = stack_plan(spec)
    assert "redis" not in {j.service for m in plan.backups.values() for j in m.jobs}
    assert plan.services["redis"].policy_exceptions[BACKUP_RULE] == (
        f"platform:backups.services.redis.skip: {reason}"
    )


def test_no_section_no_jobs() -> None:
    spec = parse(doc(drop("backups")))
    assert backup_jobs(spec) == {}


def test_every_problem_at_once_with_its_path() -> None:
    text = error_text(
        doc(
            _service("blob", image="ghcr.io/example/blob:1.0.0", stateful=True),
            put(
                "backups",
                "services",
                value={
                    "nosuch": {"skip": "it is not there at all"},
                    "frontend": {"skip": "nothing to keep here"},
                },
            ),
            put("backups", "offsite", value={"kind": "local"}),
            put("backups", "schedule", value="every night"),
            put("backups", "check", "readDataSubset", value="lots"),
            put("backups", "retention", value={"keepDaily": 0, "keepWeekly": 0, "keepMonthly": 0}),
            put("backups", "password", value={"secret": "backups.missing"}),
        )
    )
    assert text.splitlines() == [
        "platform:backups.schedule: every night is not a systemd OnCalendar event such as daily, "
        "`*-*-* 03:15:00` or `Sun *-*-* 04:00:00` (weekdays Mon..Sun, then optionally Y-M-D, "
        "then H:M[:S]; each part *, a number, a range a..b, a list a,b or a repetition a/n)",
        'platform:backups.retention: {"keepDaily": 0, "keepWeekly": 0, "keepMonthly": 0} '
        "keeps nothing: set at least one of keepDaily, keepWeekly, keepMonthly",
        "platform:backups.check.readDataSubset: lots is invalid: String should match pattern "
        "'^((100|[1-9]?[0-9])(\\.[0-9]+)?%|[1-9][0-9]*/[1-9][0-9]*|[1-9][0-9]*[KMGT])$' (Part of "
        "the data read each time: 5%, 1/7 or 500M.)",
        "platform:backups.services.nosuch: nosuch is not a service; services are agents, "
        "backend, blob, egress, frontend, livekit, npm, redis",
        "platform:backups.services.frontend: frontend keeps no data (not stateful, no volume, "
        "no database image): it gets no backup job anyway, so there is nothing to skip",
        "platform:services.blob: is stateful, but its image ghcr.io/example/blob:1.0.0 is no "
        "database the backup jobs know (PostgreSQL, MariaDB, MySQL, MongoDB, Redis, InfluxDB "
        "1.x) and it has no named volume to copy: mount its data in a volume, or declare "
        "platform:backups.services.blob.skip with the reason",
        "platform:backups.offsite.kind: local is on the machine itself, not off-site; use sftp, "
        "s3 or rest",
        "platform:backups.password.secret: backups.missing is not under platform:secrets; set it "
        "with `pulumi config set --secret --path 'platform:secrets.backups.missing' <value>`",
    ]


def test_one_kind_for_both_repositories_is_refused() -> None:
    offsite = doc()["backups"]["offsite"]
    text = error_text(doc(put("backups", "repository", value={**offsite, "path": "/primary"})))
    assert text == (
        "platform:backups.offsite.kind: sftp is also the first repository's kind: restic 0.14 "
        "(Debian 12) copies with one set of SSH options or S3 credentials for both; make one "
        "of them local or rest"
    )


CALENDARS = [
    "daily",
    "weekly",
    "*-*-* 03:00:00",
    "Sun *-*-* 05:00:00",
    "Mon..Fri *-*-* 02:30",
    "Sat,Sun *-*-01..07 04:00:00",
    "*-*-* 00/6:00:00",
    "*-*-* 01,13:15",
]


@pytest.mark.parametrize("value", CALENDARS)
def test_accepted_calendars_are_systemds(value: str) -> None:
    assert _calendar(value) == value
    checked = subprocess.run(
        [tool("systemd-analyze"), "calendar", value], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("value", ["03:00 daily", "*-* 03:00", "Sun", "tomorrow", "*-*-* 3;rm"])
def test_refused_calendars(value: str) -> None:
    with pytest.raises(ValueError, match="is not a systemd OnCalendar event"):
        _calendar(value)
