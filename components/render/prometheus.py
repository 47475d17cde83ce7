"""prometheus.yml and blackbox.yml from the derived targets (components/derive/monitoring.py).

Every scrape target is a static config whose labels name the stack's machine and service, so
alerts say ``backend`` rather than ``10.0.0.13:9100``. The probes go through the blackbox
exporter with the usual relabelling (the probed URL becomes the ``target`` parameter and the
``instance`` label; the exporter's own address the scrape address; the target's ``module``
label the ``module`` parameter).

A route behind authentication (basic auth or an allow-list) answers the prober, which has no
credentials and whose address the allow-list need not name, with 401 or 403 from the proxy
itself: its probe uses the guarded module, which takes those as success, so it still proves
the proxy serves the host with a valid certificate (and its expiry), but not that the backend
answers (the proxy refuses before it forwards). The backend's health is its container's
healthcheck. An open route's probe wants a 2xx. ``rule_files`` is a glob of
``*.rules.yml``: promtool's unit-test files (``*.test.yml``) are never loaded as rules.
Checked by `promtool check config` (tests/render/test_prometheus.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .alert_rules import RULES_SUFFIX
from .yaml_text import dump_yaml

BLACKBOX_MODULE = "http_2xx"
BLACKBOX_GUARDED_MODULE = "https_guarded"
# What a guarded route answers a prober it does not let in: 401 (basic auth) or 403 (an
# allow-list: nginx `deny`, Traefik's ipAllowList, an NPM access list); any 2xx, as the open
# routes' module takes (the exporter's default when valid_status_codes is empty), when the
# prober's address is one the allow-list names (a health endpoint may answer 204).
GUARDED_STATUS_CODES = (*range(200, 300), 401, 403)
SCRAPE_INTERVAL = "30s"
EVALUATION_INTERVAL = "30s"


@dataclass(frozen=True)
class Target:
    job: str
    address: str  # host:port as Prometheus reaches it
    labels: Mapping[str, str]  # machine, service


@dataclass(frozen=True, order=True)
class Probe:
    url: str  # https URL of a public route
    guarded: bool  # the route authenticates (basic auth or an allow-list)

    @property
    def module(self) -> str:
        return BLACKBOX_GUARDED_MODULE if self.guarded else BLACKBOX_MODULE


@dataclass(frozen=True)
class PrometheusSettings:
    targets: Sequence[Target]
    probes: Sequence[Probe]
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
                "static_configs": [
                    {
                        "targets": sorted(p.url for p in settings.probes if p.module == module),
                        "labels": {"module": module},
                    }
                    for module in sorted({p.module for p in settings.probes})
                ],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["module"], "target_label": "__param_module"},
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
    """Two modules, each an HTTPS GET that fails on plain HTTP or a bad certificate (the
    certificate's expiry is ``probe_ssl_earliest_cert_expiry``): one wants a 2xx answer, the
    guarded one also takes the refusal of a route behind authentication."""
    http = {"preferred_ip_protocol": "ip4", "fail_if_not_ssl": True, "follow_redirects": True}
    return dump_yaml(
        {
            "modules": {
                BLACKBOX_MODULE: {"prober": "http", "timeout": "10s", "http": http},
                BLACKBOX_GUARDED_MODULE: {
                    "prober": "http",
                    "timeout": "10s",
                    "http": {**http, "valid_status_codes": list(GUARDED_STATUS_CODES)},
                },
            }
        }
    )
