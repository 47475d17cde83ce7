"""Loki 3's config file: one process, filesystem storage on a volume, retention enabled.

Loki reads its YAML strictly (grafana/loki v3.7.6 pkg/util/cfg/dynamic.go:25 loads
``-config.file`` with ``strict`` true, pkg/util/cfg/files.go:56-69 ``yaml.UnmarshalStrict``):
an unknown key stops it at start. Every key written here is listed, with the Go struct tag it
matches, in tests/render/loki_facts.py, and a test fails on a key that is not there.

Retention is off unless the compactor applies it: ``compactor.retention_enabled: true`` (without
it "the Compactor will only compact tables", docs/sources/operations/storage/retention.md:95),
with a ``delete_request_store`` (pkg/loki/modules.go:1900-1907 refuses to start the compactor
without one when retention is enabled) and ``limits_config.retention_period``, at least 24h
(retention.md:117) and a multiple of the 24h index period (retention.md:92, 210): the spec
gives it in days. The index is TSDB with schema v13 (the recommended schema,
pkg/storage/config/schema_config.go:144), whose one period starts on a fixed past date: a
date that moved would start a new schema period.
"""

from __future__ import annotations

from dataclasses import dataclass

from .input_errors import check, check_port, raise_if
from .yaml_text import dump_yaml

CONFIG_PATH = "/etc/loki/local-config.yaml"  # the image's -config.file (cmd/loki/Dockerfile)
DATA_DIR = "/loki"
PUSH_PATH = "/loki/api/v1/push"
SCHEMA_FROM = "2024-04-01"
INDEX_PERIOD_HOURS = 24


@dataclass(frozen=True)
class LokiSettings:
    retention_days: int
    http_port: int = 3100
    grpc_port: int = 9095
    log_level: str = "info"


def loki_config(settings: LokiSettings) -> dict[str, object]:
    problems: list[str] = []
    check(problems, settings.retention_days >= 1, "retention_days", settings.retention_days, ">= 1")
    check_port(problems, "http_port", settings.http_port)
    check_port(problems, "grpc_port", settings.grpc_port)
    check(
        problems,
        settings.log_level in ("debug", "info", "warn", "error"),
        "log_level",
        settings.log_level,
        "debug|info|warn|error",
    )
    raise_if("loki", problems)
    return {
        "auth_enabled": False,
        "server": {
            "http_listen_port": settings.http_port,
            "grpc_listen_port": settings.grpc_port,
            "log_level": settings.log_level,
        },
        "common": {
            "instance_addr": "127.0.0.1",
            "path_prefix": DATA_DIR,
            "storage": {
                "filesystem": {
                    "chunks_directory": f"{DATA_DIR}/chunks",
                    "rules_directory": f"{DATA_DIR}/rules",
                }
            },
            "replication_factor": 1,
            "ring": {"kvstore": {"store": "inmemory"}},
        },
        "schema_config": {
            "configs": [
                {
                    "from": SCHEMA_FROM,
                    "store": "tsdb",
                    "object_store": "filesystem",
                    "schema": "v13",
                    "index": {"prefix": "index_", "period": f"{INDEX_PERIOD_HOURS}h"},
                }
            ]
        },
        "compactor": {
            "working_directory": f"{DATA_DIR}/compactor",
            "compaction_interval": "10m",
            "retention_enabled": True,
            "retention_delete_delay": "2h",
            "delete_request_store": "filesystem",
        },
        "limits_config": {
            "retention_period": f"{settings.retention_days * INDEX_PERIOD_HOURS}h",
        },
        # No usage report to stats.grafana.org from a private platform.
        "analytics": {"reporting_enabled": False},
    }


def loki_yaml(settings: LokiSettings) -> str:
    return "# Rendered by the stack (components/render/loki.py).\n" + dump_yaml(
        loki_config(settings)
    )
