"""Grafana Alloy's components and arguments we use, read from its source (grafana/alloy at tag
v1.18.1): the component's registered ``Name`` and each argument or block by its ``alloy:`` tag
(``attr``: an argument, ``block``: a nested block), with file:line. ``EXPORTS`` are the fields
other components read (``discovery.docker.<label>.targets`` and so on).
"""

from __future__ import annotations

ALLOY = "grafana/alloy@v1.18.1"
DISCOVERY_DOCKER = f"{ALLOY}:internal/component/discovery/docker/docker.go"
DISCOVERY_RELABEL = f"{ALLOY}:internal/component/discovery/relabel/relabel.go"
RELABEL = f"{ALLOY}:internal/component/common/relabel/relabel.go"
SOURCE_DOCKER = f"{ALLOY}:internal/component/loki/source/docker/docker.go"
LOKI_WRITE = f"{ALLOY}:internal/component/loki/write/write.go"
LOKI_WRITE_TYPES = f"{ALLOY}:internal/component/loki/write/types.go"

# component -> (registration, {argument or block: (kind, source)})
COMPONENTS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "discovery.docker": (
        f"{DISCOVERY_DOCKER}:20",
        {"host": ("attr", f"{DISCOVERY_DOCKER}:33")},
    ),
    "discovery.relabel": (
        f"{DISCOVERY_RELABEL}:17",
        {
            "targets": ("attr", f"{DISCOVERY_RELABEL}:31"),
            "rule": ("block", f"{DISCOVERY_RELABEL}:34"),
        },
    ),
    "loki.source.docker": (
        f"{SOURCE_DOCKER}:37",
        {
            "host": ("attr", f"{SOURCE_DOCKER}:60"),
            "targets": ("attr", f"{SOURCE_DOCKER}:61"),
            "forward_to": ("attr", f"{SOURCE_DOCKER}:62"),
            "relabel_rules": ("attr", f"{SOURCE_DOCKER}:64"),
        },
    ),
    "loki.write": (
        f"{LOKI_WRITE}:23",
        {"endpoint": ("block", f"{LOKI_WRITE}:36")},
    ),
}
# Nested blocks: (component, block) -> {argument: source}
BLOCKS: dict[tuple[str, str], dict[str, str]] = {
    ("discovery.relabel", "rule"): {
        "source_labels": f"{RELABEL}:134",
        "regex": f"{RELABEL}:136",
        "target_label": f"{RELABEL}:138",
    },
    ("loki.write", "endpoint"): {"url": f"{LOKI_WRITE_TYPES}:20"},
}
EXPORTS: dict[str, str] = {
    "discovery.docker.targets": f"{ALLOY}:internal/component/discovery/discovery.go:18",
    "discovery.relabel.rules": f"{DISCOVERY_RELABEL}:40",
    "loki.write.receiver": f"{LOKI_WRITE}:74",
}
# The image: ENTRYPOINT /bin/alloy, CMD run /etc/alloy/config.alloy --storage.path=...; root by
# default (a user alloy exists, "do not set it as default").
IMAGE = (f"{ALLOY}:Dockerfile:70-82",)
HTTP_DEFAULT = ("127.0.0.1:12345", f"{ALLOY}:internal/alloycli/cmd_run.go:60")
READY_PATH = ("/-/ready", f"{ALLOY}:internal/service/http/http.go:255")
FLAGS = {
    "storage.path": f"{ALLOY}:internal/alloycli/cmd_run.go:234",
    "server.http.listen-addr": f"{ALLOY}:internal/alloycli/cmd_run.go:182",
}
