"""Grafana Alloy's config: every container's log on one engine, shipped to Loki.

Promtail reached its end of life on 2026-03-02 and Grafana Agent on 2025-11-01; Alloy is their
successor. The pipeline is three components and a relabeling (grafana/alloy v1.18.1; every
block and argument is listed with its Go struct tag in tests/render/alloy_facts.py):

- ``discovery.docker`` lists the engine's containers through its API socket;
- ``discovery.relabel`` turns ``__meta_docker_container_name`` ("/name") into a ``container``
  label (its ``rules`` export feeds the source; ``__meta_*`` labels are dropped after it);
- ``loki.source.docker`` tails each container's log (the API's logs endpoint) and
  ``forward_to`` the receiver of ``loki.write``, which pushes to Loki's ``/loki/api/v1/push``.

Alloy's syntax takes strings in double quotes with Go-like escapes; every value written here is
a fixed name, a socket path or a URL the spec checked, quoted by ``_string``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .input_errors import check, raise_if

CONFIG_PATH = "/etc/alloy/config.alloy"  # the image's `run` argument (Dockerfile:82)
DOCKER_SOCKET = "/var/run/docker.sock"
_PATH = re.compile(r"/[A-Za-z0-9._/-]+")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?/[A-Za-z0-9._/-]*$")


@dataclass(frozen=True)
class AlloySettings:
    push_url: str  # Loki's push endpoint, e.g. http://loki:3100/loki/api/v1/push
    docker_socket: str = DOCKER_SOCKET


def _string(value: str) -> str:
    # JSON's string escapes are a subset of Alloy's (double quotes, backslash escapes).
    return json.dumps(value)


def alloy_config(settings: AlloySettings) -> str:
    problems: list[str] = []
    check(problems, bool(_URL.match(settings.push_url)), "push_url", settings.push_url, "a URL")
    check(
        problems,
        bool(_PATH.fullmatch(settings.docker_socket)),
        "docker_socket",
        settings.docker_socket,
        "an absolute path",
    )
    raise_if("alloy", problems)
    host = _string(f"unix://{settings.docker_socket}")
    return f"""// Rendered by the stack (components/render/alloy.py).
discovery.docker "containers" {{
  host = {host}
}}

discovery.relabel "containers" {{
  targets = discovery.docker.containers.targets

  rule {{
    source_labels = ["__meta_docker_container_name"]
    regex         = "/(.*)"
    target_label  = "container"
  }}
}}

loki.source.docker "containers" {{
  host          = {host}
  targets       = discovery.docker.containers.targets
  relabel_rules = discovery.relabel.containers.rules
  forward_to    = [loki.write.loki.receiver]
}}

loki.write "loki" {{
  endpoint {{
    url = {_string(settings.push_url)}
  }}
}}
"""
