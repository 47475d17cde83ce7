"""prometheus.yml and blackbox.yml from the derived targets (components/derive/monitoring.py).

Every scrape target is a static config whose labels name the stack's machine and service, so
alerts say ``backend`` rather than ``10.0.0.13:9100``. The probes go through the blackbox
exporter with the usual relabelling (the probed URL becomes the ``target`` parameter and the
``instance`` label; the exporter's own address the scrape address). ``rule_files`` is a glob of
``*.rules.yml``: promtool's unit-test files (``*.test.yml``) are never loaded as rules.
Checked by `promtool check config` (tests/render/test_prometheus.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .alert_rules import RULES_SUFFIX
from .yaml_text import dump_yaml

BLACKBOX_MODULE = "http_2xx"
SCRAPE_INTERVAL = "30s"
EVALUATION_INTERVAL = "30s"


@dataclass(frozen=True)
class Target:
    job: str
    address: str  # host:port as Prometheus reaches it
    labels: Mapping[str, str]  # machine, service


@dataclass(frozen=True)
class PrometheusSettings:
    targets: Sequence[Target]
    probes: Sequence[str]  # https URLs of the public routes
    blackbox_address: str
    alertmanager_address: str
    rules_dir: str


def prometheus_yml(settings: PrometheusSettings) -> str:
    jobs: dict[str, list[Target]] = {}
    for target in settings.targets:
        jobs.setdefault(target.job, []).append(target)
    scrape_configs: list[dict[str, object]] = [
        {
            "job_name": job,
            "static_configs": [
                {"targets": [t.address], "labels": dict(sorted(t.labels.items()))}
                for t in sorted(targets, key=lambda t: t.address)
            ],
        }
        for job, targets in sorted(jobs.items())
    ]
    if settings.probes:
        scrape_configs.append(
            {
                "job_name": "blackbox",
                "metrics_path": "/probe",
                "params": {"module": [BLACKBOX_MODULE]},
                "static_configs": [{"targets": sorted(settings.probes)}],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["__param_target"], "target_label": "instance"},
                    {"target_label": "__address__", "replacement": settings.blackbox_address},
                ],
            }
        )
    document = {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "evaluation_interval": EVALUATION_INTERVAL,
        },
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [settings.alertmanager_address]}]}]
        },
        "rule_files": [f"{settings.rules_dir}/*{RULES_SUFFIX}"],
        "scrape_configs": scrape_configs,
    }
    return dump_yaml(document)


def blackbox_yml() -> str:
    """One module: an HTTPS GET that fails on plain HTTP, a non-2xx answer or a bad
    certificate; the certificate's expiry is ``probe_ssl_earliest_cert_expiry``."""
    return dump_yaml(
        {
            "modules": {
                BLACKBOX_MODULE: {
                    "prober": "http",
                    "timeout": "10s",
                    "http": {
                        "preferred_ip_protocol": "ip4",
                        "fail_if_not_ssl": True,
                        "follow_redirects": True,
                    },
                }
            }
        }
    )
