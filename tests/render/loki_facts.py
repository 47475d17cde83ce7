"""Loki 3's config keys, read from its source (grafana/loki at tag v3.7.6): the Go struct field
each key of our config decodes into, by its ``yaml:`` tag, with file:line.

Loki decodes ``-config.file`` strictly (pkg/util/cfg/dynamic.go:25 passes strict=true to
``ConfigFileLoader``; pkg/util/cfg/files.go:56-69 ``yaml.UnmarshalStrict``): a key missing from
this table would stop it at start. ``[]`` marks the items of a list. Values read from source
too: ``VALUES`` (what a value must look like where Loki parses or checks it).
"""

from __future__ import annotations

LOKI = "grafana/loki@v3.7.6"
LOKI_GO = f"{LOKI}:pkg/loki/loki.go"
COMMON_GO = f"{LOKI}:pkg/loki/common/common.go"
RING_GO = f"{LOKI}:pkg/util/ring/ring_config.go"
KV_GO = f"{LOKI}:vendor/github.com/grafana/dskit/kv/client.go"
SERVER_GO = f"{LOKI}:vendor/github.com/grafana/dskit/server/server.go"
SCHEMA_GO = f"{LOKI}:pkg/storage/config/schema_config.go"
COMPACTOR_GO = f"{LOKI}:pkg/compactor/config.go"
LIMITS_GO = f"{LOKI}:pkg/validation/limits.go"
REPORTER_GO = f"{LOKI}:pkg/analytics/reporter.go"

KEYS: dict[str, str] = {
    "auth_enabled": f"{LOKI_GO}:86",
    "server": f"{LOKI_GO}:90",
    "server.http_listen_port": f"{SERVER_GO}:94",
    "server.grpc_listen_port": f"{SERVER_GO}:98",
    "server.log_level": f"{SERVER_GO}:147",
    "common": f"{LOKI_GO}:136",
    "common.path_prefix": f"{COMMON_GO}:27",
    "common.storage": f"{COMMON_GO}:28",
    "common.storage.filesystem": f"{COMMON_GO}:87",
    "common.storage.filesystem.chunks_directory": f"{COMMON_GO}:110",
    "common.storage.filesystem.rules_directory": f"{COMMON_GO}:111",
    "common.replication_factor": f"{COMMON_GO}:30",
    "common.ring": f"{COMMON_GO}:31",
    "common.ring.kvstore": f"{RING_GO}:27",
    "common.ring.kvstore.store": f"{KV_GO}:57",
    "common.instance_addr": f"{COMMON_GO}:45",
    "schema_config": f"{LOKI_GO}:109",
    "schema_config.configs": f"{SCHEMA_GO}:276",
    "schema_config.configs[].from": f"{SCHEMA_GO}:139",
    "schema_config.configs[].store": f"{SCHEMA_GO}:141",
    "schema_config.configs[].object_store": f"{SCHEMA_GO}:143",
    "schema_config.configs[].schema": f"{SCHEMA_GO}:144",
    "schema_config.configs[].index": f"{SCHEMA_GO}:145",
    "schema_config.configs[].index.prefix": f"{SCHEMA_GO}:547 (IndexPeriodicTableConfig)",
    "schema_config.configs[].index.period": f"{SCHEMA_GO}:548 (IndexPeriodicTableConfig)",
    "compactor": f"{LOKI_GO}:110",
    "compactor.working_directory": f"{COMPACTOR_GO}:21",
    "compactor.compaction_interval": f"{COMPACTOR_GO}:22",
    "compactor.retention_enabled": f"{COMPACTOR_GO}:24",
    "compactor.retention_delete_delay": f"{COMPACTOR_GO}:25",
    "compactor.delete_request_store": f"{COMPACTOR_GO}:29",
    "limits_config": f"{LOKI_GO}:113",
    "limits_config.retention_period": f"{LIMITS_GO}:215",
    "analytics": f"{LOKI_GO}:127",
    "analytics.reporting_enabled": f"{REPORTER_GO}:52",
}

# What Loki requires of the values we set, each from its source.
RETENTION_NEEDS_DELETE_STORE = (
    f"{LOKI}:pkg/loki/modules.go:1900-1907: with retention_enabled and no delete_request_store "
    "the compactor fails: 'compactor.delete-request-store should be configured when retention "
    "is enabled'"
)
RETENTION_MINIMUM_HOURS = (24, f"{LOKI}:docs/sources/operations/storage/retention.md:117")
RETENTION_INDEX_PERIOD_HOURS = (24, f"{LOKI}:docs/sources/operations/storage/retention.md:92")
SCHEMA_FROM_LAYOUT = ("2006-01-02", f"{SCHEMA_GO}:205 time.Parse")
SCHEMA_RECOMMENDED = ("v13", f"{SCHEMA_GO}:144")
INDEX_STORES = ("tsdb", "boltdb-shipper", f"{SCHEMA_GO}:141")
# The image: ENTRYPOINT /usr/bin/loki, CMD -config.file=/etc/loki/local-config.yaml, USER 10001.
IMAGE_CONFIG_PATH = ("/etc/loki/local-config.yaml", f"{LOKI}:cmd/loki/Dockerfile")
HEALTH_DEFAULT_URL = ("http://localhost:3100/ready", f"{LOKI}:cmd/loki/health.go:13")
