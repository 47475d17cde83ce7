"""Loki 3: the stack's log store, fed by a Grafana Alloy agent on every engine.

Its config (components/render/loki.py) is uploaded where the image's command reads it
(grafana/loki v3.7.6 cmd/loki/Dockerfile: ``CMD ["-config.file=/etc/loki/local-config.yaml"]``),
with retention from ``retentionDays``. Its data (chunks, TSDB index, compactor state) lives in
/loki, which must be a volume: the image runs as 10001 and owns /loki (same Dockerfile,
``--chown=10001:10001 /loki``), and a new named volume takes that ownership.

Loki runs with ``auth_enabled: false`` (one tenant): it is never exposed, only reached by the
agents and Grafana over ``agents.network``. The image is distroless (no shell, no wget): its
health check is Loki's own ``-health`` probe of ``/ready`` (cmd/loki/main.go:49-52,
cmd/loki/health.go:13).

The ``sidecars`` hook runs the agent (components/apps/alloy.py) on every engine of the stack;
it reaches Loki by its service name on ``agents.network``, which every engine must have.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from components.spec.common import Name, Strict
from components.spec.images import PinnedImage
from components.values import AppContribution, FilePlan, Sidecar

if TYPE_CHECKING:
    from components.spec.errors import Problem
    from components.spec.services import ServiceSpec

KIND = "loki"
IMAGE = "grafana/loki"
AGENT_IMAGE = "grafana/alloy"


class LokiAgents(Strict):
    image: PinnedImage = Field(
        description="Grafana Alloy image of the agents, e.g. grafana/alloy:v1.18.1."
    )
    network: Name = Field(
        description="Network (under platform:networks) the agents share with Loki on every engine."
    )


class Spec(Strict):
    """Loki's retention and port, and the log agents every engine runs."""

    kind: Literal["loki"]
    retentionDays: int = Field(
        default=31, ge=1, le=3650, description="Days a log line is kept (compactor retention)."
    )
    httpPort: int = Field(
        default=3100, ge=1, le=65535, description="Loki's HTTP port (push, query)."
    )
    agents: LokiAgents = Field(description="The Alloy agent on every engine.")


def _spec(service: ServiceSpec) -> Spec:
    assert isinstance(service.app, Spec)
    return service.app


def _repository(image: str) -> tuple[str, str | None]:
    from components.spec.images import parse_image  # noqa: PLC0415 -- see components/apps

    ref = parse_image(image)
    return ref.repository, ref.tag


def problems(name: str, service: ServiceSpec) -> Iterator[Problem]:
    from components.render.loki import DATA_DIR  # noqa: PLC0415 -- see components/apps
    from components.spec.errors import Problem  # noqa: PLC0415

    app = _spec(service)
    here = ("services", name)
    repository, tag = _repository(service.image)
    if repository != IMAGE or tag is None or not tag.startswith("3."):
        yield Problem(
            (*here, "image"),
            f"{service.image} is not {IMAGE}:3.x; the config rendered is Loki 3's (TSDB "
            "schema v13, compactor retention), e.g. grafana/loki:3.7.6",
        )
    if _repository(app.agents.image)[0] != AGENT_IMAGE:
        yield Problem(
            (*here, "app", "agents", "image"),
            f"{app.agents.image} is not {AGENT_IMAGE}:<version>; the agents' config is Alloy's",
        )
    if not any(v.path == DATA_DIR and not v.readOnly for v in service.volumes):
        yield Problem(
            (*here, "volumes"),
            f"mount no writable volume at {DATA_DIR}; Loki keeps its chunks and index there, "
            "which a new container would otherwise lose",
        )
    if service.expose:
        yield Problem(
            (*here, "expose"),
            "exposes Loki, which runs without authentication (one tenant); the agents and "
            f"Grafana reach it over {app.agents.network}",
        )
    if app.agents.network not in service.networks:
        yield Problem(
            (*here, "networks"),
            f"do not hold {app.agents.network}, the network the agents push over",
        )
    if service.command is not None:
        yield Problem(
            (*here, "command"),
            "replaces the image's command, which reads the stack's config file; remove it",
        )


def contribute(name: str, service: ServiceSpec) -> AppContribution:
    from components.render.loki import CONFIG_PATH, LokiSettings, loki_yaml  # noqa: PLC0415

    app = _spec(service)
    config = loki_yaml(LokiSettings(retention_days=app.retentionDays, http_port=app.httpPort))
    return AppContribution(files=(FilePlan(path=CONFIG_PATH, content=config, mode="0444"),))


def sidecars(name: str, service: ServiceSpec) -> tuple[Sidecar, ...]:
    from components.render.loki import PUSH_PATH  # noqa: PLC0415 -- see components/apps

    from . import alloy  # noqa: PLC0415 -- imports a renderer

    app = _spec(service)
    push_url = f"http://{name}:{app.httpPort}{PUSH_PATH}"
    return (alloy.sidecar(app.agents.image, app.agents.network, push_url),)
