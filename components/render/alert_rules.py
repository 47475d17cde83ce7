"""The alert rules: one rule file per kind of target, rendered from the rules below.

Expressions follow samber/awesome-prometheus-alerts (dist/rules/host-and-hardware,
docker-containers, blackbox, redis, postgresql, mysql) where it fits a single-host Docker
platform, adapted rather than copied: the host's disk alert there fires on a fixed free
percentage and a prediction together, the container rules here read cAdvisor's own
restart (``container_start_time_seconds``) and OOM (``container_oom_events_total``) counters.
The backup metric's name is components/metrics.py's, the contract with the backup jobs. Every
rule has a unit test in tests/render/rules/*.test.yml, written by hand, run by
`promtool test rules`. Files are named ``*.rules.yml`` (prometheus.yml's ``rule_files`` glob),
so no test file next to them is ever loaded as rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.apps.exporters import DATABASE_EXPORTERS
from components.metrics import BACKUP_LAST_SUCCESS_METRIC

from .yaml_text import dump_yaml

RULES_SUFFIX = ".rules.yml"

# A backup job runs daily (components/apps/backup.py): a day and two hours of slack.
BACKUP_STALE_SECONDS = 26 * 3600
CERTIFICATE_WARNING_DAYS = 14
DISK_PREDICTION_HOURS = 24


@dataclass(frozen=True)
class AlertRule:
    alert: str
    expr: str
    for_: str | None
    severity: str
    summary: str
    labels: dict[str, str] = field(default_factory=dict)


def _db_up_expr() -> str:
    """Each exporter's own up metric; a broker that serves its own metrics is down when its
    scrape fails."""
    exporters = DATABASE_EXPORTERS.values()
    metrics = sorted({e.up_metric for e in exporters if e.image is not None})
    own = sorted({e.job for e in exporters if e.image is None})
    terms = [f"{metric} == 0" for metric in metrics]
    terms += [f'up{{job="{job}"}} == 0' for job in own]
    return " or ".join(terms)


_FS = 'fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs"'

GROUPS: dict[str, tuple[AlertRule, ...]] = {
    "hosts": (
        AlertRule(
            "HostDown",
            'up{job="node"} == 0',
            "2m",
            "critical",
            "{{ $labels.machine }} does not answer (its node exporter is down or unreachable)",
        ),
        AlertRule(
            "HostDiskAlmostFull",
            f"predict_linear(node_filesystem_avail_bytes{{{_FS}}}[6h], "
            f"{DISK_PREDICTION_HOURS} * 3600) < 0 "
            f"and node_filesystem_avail_bytes{{{_FS}}} / node_filesystem_size_bytes{{{_FS}}} < 0.2",
            "30m",
            "warning",
            "{{ $labels.mountpoint }} on {{ $labels.machine }} fills up within "
            f"{DISK_PREDICTION_HOURS} hours at the rate of the last 6",
        ),
    ),
    "containers": (
        AlertRule(
            "ContainerRestarting",
            'changes(container_start_time_seconds{name!=""}[15m]) > 2',
            None,
            "warning",
            "{{ $labels.name }} on {{ $labels.machine }} restarted more than twice in 15 minutes",
        ),
        AlertRule(
            "ContainerOomKilled",
            'increase(container_oom_events_total{name!=""}[10m]) > 0',
            None,
            "warning",
            "{{ $labels.name }} on {{ $labels.machine }} was killed for running out of memory",
        ),
    ),
    "databases": (
        AlertRule(
            "DatabaseDown",
            _db_up_expr(),
            "1m",
            "critical",
            "{{ $labels.service }} is down (its exporter cannot reach it, or the broker "
            "does not answer)",
        ),
        AlertRule(
            "ScrapeTargetDown",
            'up{job!="node"} == 0',
            "5m",
            "warning",
            "{{ $labels.job }} target {{ $labels.instance }} cannot be scraped",
        ),
    ),
    "certificates": (
        AlertRule(
            "EndpointDown",
            'probe_success{job="blackbox"} == 0',
            "5m",
            "critical",
            "{{ $labels.instance }} fails its HTTPS probe",
        ),
        AlertRule(
            "CertificateExpiring",
            f"probe_ssl_earliest_cert_expiry - time() < {CERTIFICATE_WARNING_DAYS} * 86400",
            "1h",
            "warning",
            "The certificate of {{ $labels.instance }} expires within "
            f"{CERTIFICATE_WARNING_DAYS} days",
        ),
    ),
    "backups": (
        AlertRule(
            "BackupStale",
            f"time() - {BACKUP_LAST_SUCCESS_METRIC} > {BACKUP_STALE_SECONDS}",
            None,
            "critical",
            "The last successful backup of {{ $labels.service }} is older than "
            f"{BACKUP_STALE_SECONDS // 3600} hours",
        ),
    ),
    "watchdog": (
        AlertRule(
            "Watchdog",
            "vector(1)",
            None,
            "none",
            "Always firing: the heartbeat receiver raises the alarm when it stops arriving",
        ),
    ),
}


def rule_file(group: str) -> str:
    """The text of ``<group>.rules.yml``."""
    rules = []
    for rule in GROUPS[group]:
        entry: dict[str, object] = {"alert": rule.alert, "expr": rule.expr}
        if rule.for_ is not None:
            entry["for"] = rule.for_
        entry["labels"] = {"severity": rule.severity, **rule.labels}
        entry["annotations"] = {"summary": rule.summary}
        rules.append(entry)
    return dump_yaml({"groups": [{"name": group, "rules": rules}]})


def rule_files() -> dict[str, str]:
    """``{file name: text}`` of every rule file."""
    return {f"{group}{RULES_SUFFIX}": rule_file(group) for group in GROUPS}
