"""LiveKit Egress: its config file rendered from the stack, not an opaque secret blob.

Egress reads YAML from the file named by EGRESS_CONFIG_FILE (or a body in EGRESS_CONFIG_BODY):
livekit/egress v1.9.0 cmd/server/main.go (flags `config`/`config-body`) and
pkg/config/service.go `NewServiceConfig`, which decodes with gopkg.in/yaml.v3 `Unmarshal`:
unknown keys are silently ignored there, so the model below forbids them here. Its keys are
the `yaml:` tags of pkg/config/base.go `BaseConfig` (redis, api_key, api_secret, ws_url,
logging, insecure, enable_chrome_sandbox) and pkg/config/service.go `ServiceConfig`
(health_port, prometheus_port), with livekit/protocol redis/redis.go `RedisConfig` (address,
password). The file holds the API secret and the Redis password: it is a secret, mode 0440;
the image runs as user `egress` whose primary group is root (build/egress/Dockerfile:
`useradd ... -g root ... egress`, `USER egress`), and the provider writes it as root:root.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from components.spec.common import ShellSafe
from components.values import AppContribution, FilePlan, Rendered

from .livekit import LiveKitAccess

if TYPE_CHECKING:
    from components.spec.errors import Problem
    from components.spec.services import ServiceSpec

KIND = "livekit-egress"
CONFIG_PATH = "/etc/egress/egress.yaml"
CONFIG_FILE_ENV = "EGRESS_CONFIG_FILE"


class Spec(LiveKitAccess):
    """What Egress needs to join its LiveKit server and their shared Redis."""

    kind: Literal["livekit-egress"]
    wsUrl: ShellSafe = Field(
        description="LiveKit server's websocket URL as Egress reaches it, e.g. ws://10.0.0.10:7880."
    )
    healthPort: int | None = Field(
        default=None, ge=1, le=65535, description="Port of Egress's health endpoint, or null."
    )
    prometheusPort: int | None = Field(
        default=None, ge=1, le=65535, description="Port of Egress's metrics, or null."
    )
    logLevel: Literal["debug", "info", "warn", "error"] = Field(
        default="info", description="Egress log level."
    )


class _EgressModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class EgressRedis(_EgressModel):
    address: str
    password: str | None = None


class EgressLogging(_EgressModel):
    level: Literal["debug", "info", "warn", "error"]


class EgressConfig(_EgressModel):
    """egress.yaml: the keys we set, as livekit/egress v1.9.0 spells them."""

    api_key: str = Field(min_length=1)
    api_secret: str = Field(min_length=1)
    ws_url: str = Field(pattern=r"^wss?://")
    redis: EgressRedis
    logging: EgressLogging
    health_port: int | None = None
    prometheus_port: int | None = None


def egress_yaml(config: EgressConfig) -> str:
    from components.render.yaml_text import dump_yaml  # noqa: PLC0415 -- see components/apps

    return dump_yaml(config.model_dump(mode="json", exclude_none=True))


def _spec(service: ServiceSpec) -> Spec:
    assert isinstance(service.app, Spec)
    return service.app


def problems(name: str, service: ServiceSpec) -> Iterator[Problem]:
    from components.spec.errors import Problem  # noqa: PLC0415 -- see components/apps

    app = _spec(service)
    if not app.wsUrl.startswith(("ws://", "wss://")):
        yield Problem(
            ("services", name, "app", "wsUrl"),
            f"{app.wsUrl} is not a websocket URL; use ws://host:port or wss://host",
        )
    for key in ("EGRESS_CONFIG_FILE", "EGRESS_CONFIG_BODY"):
        if key in service.env:
            yield Problem(
                ("services", name, "env", key),
                f"is set by the stack from platform:services.{name}.app; remove it from env",
            )


def contribute(name: str, service: ServiceSpec) -> AppContribution:
    app = _spec(service)

    def render(values: Mapping[str, str]) -> str:
        return egress_yaml(
            EgressConfig(
                api_key=values["api_key"],
                api_secret=values["api_secret"],
                ws_url=app.wsUrl,
                redis=EgressRedis(address=app.redisAddress, password=values["redis_password"]),
                logging=EgressLogging(level=app.logLevel),
                health_port=app.healthPort,
                prometheus_port=app.prometheusPort,
            )
        )

    config = Rendered(render=render, secrets=app.secret_paths())
    return AppContribution(
        env={CONFIG_FILE_ENV: CONFIG_PATH},
        files=(FilePlan(path=CONFIG_PATH, content=config, mode="0440"),),
    )
