"""What cAdvisor's flags do and which metric kind each series the monitoring set reads belongs
to, read from google/cadvisor at v0.49.1 (the tag of the image components/apps/exporters.py
pins; cAdvisor does not run here: its image is on gcr.io).

``FLAGS``: each flag the derived command may pass, with its default and where it is defined.
``SERIES_KIND``: each container_* series, with the MetricKind whose ``includedMetrics.Has``
guards it in metrics/prometheus.go (None: emitted for every container, no kind guards it).
``KINDS``: the MetricKind strings ``--enable_metrics`` accepts (container/factory.go:48-68;
``MetricSet.Set`` at container/factory.go:138 refuses any other).
"""

from __future__ import annotations

TAG = "google/cadvisor@v0.49.1"

FLAGS = {
    # container/raw/factory.go:33: "Only report docker containers in addition to root stats".
    "docker_only": ("false", f"{TAG}:container/raw/factory.go:33"),
    # manager/container.go:50: "Interval between container housekeepings".
    "housekeeping_interval": ("1s", f"{TAG}:manager/container.go:50"),
    # cmd/storagedriver.go:38: "How long to keep data stored".
    "storage_duration": ("2m", f"{TAG}:cmd/storagedriver.go:38"),
    # cmd/cadvisor.go:102: "If set, overrides 'disable_metrics'" (cmd/cadvisor.go:101); the
    # default disable list is cmd/cadvisor.go:81-93 (disk usage and diskIO are not in it).
    "enable_metrics": ("", f"{TAG}:cmd/cadvisor.go:102"),
    # cmd/cadvisor.go:65: false keeps "container name, first alias, and image name"
    # (BaseContainerLabels, metrics/prometheus.go:1795-1818: id, name = first alias, image).
    "store_container_labels": ("true", f"{TAG}:cmd/cadvisor.go:65"),
}

KINDS = frozenset(
    {
        "cpu", "sched", "percpu", "memory", "memory_numa", "cpuLoad", "diskIO", "disk",
        "network", "tcp", "advtcp", "udp", "app", "process", "hugetlb", "perf_event",
        "referenced_memory", "cpu_topology", "resctrl", "cpuset", "oom_event",
    }
)  # fmt: skip

SERIES_KIND: dict[str, str | None] = {
    # metrics/prometheus.go:137 guards :164.
    "container_cpu_usage_seconds_total": "cpu",
    # metrics/prometheus.go:364 guards :427.
    "container_memory_working_set_bytes": "memory",
    # metrics/prometheus.go:1715 guards :1717.
    "container_oom_events_total": "oom_event",
    # metrics/prometheus.go:1855, the container spec's series, for every container.
    "container_start_time_seconds": None,
}
