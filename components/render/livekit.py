"""LiveKit server's `livekit.yaml`: a typed model of the keys we use, and the renderer.

LiveKit reads its config strictly: livekit/livekit cmd/server/main.go (at 788d4c354474) passes
`strictMode := !c.Bool("disable-strict-config")` to `config.NewConfig`, and
pkg/config/config.go `NewConfig` decodes with gopkg.in/yaml.v3 `decoder.KnownFields(strictMode)`:
an unknown key stops the server at start. The models below therefore forbid extra keys, and
every field name is the `yaml:` tag of the Go struct it mirrors:

- `LiveKitConfig`     <- pkg/config/config.go `Config` (port, bind_addresses, rtc, redis, keys,
                         logging, prometheus, region, room, turn)
- `LiveKitRtc`        <- pkg/config/config.go `RTCConfig`, which inlines livekit/mediatransportutil
                         pkg/rtcconfig/config.go `RTCConfig` (udp_port, tcp_port, port_range_start,
                         port_range_end, node_ip, use_external_ip, use_ice_lite, stun_servers)
                         plus `allow_tcp_fallback`
- `LiveKitRedis`      <- livekit/protocol redis/redis.go `RedisConfig`
- `LiveKitLogging`    <- pkg/config/config.go `LoggingConfig` inlining livekit/protocol
                         logger/config.go `Config` (json, level) plus `pion_level`
- `LiveKitPrometheus` <- pkg/config/config.go `PrometheusConfig`
- `LiveKitRoom`       <- pkg/config/config.go `RoomConfig` (auto_create, empty_timeout,
                         departure_timeout, max_participants)
- `LiveKitTurn`       <- pkg/config/config.go `TURNConfig` (enabled only: we run no TURN)

Behind NAT (seed 000) LiveKit must announce the public address: `node_ip` set and
`use_external_ip: false` (rtcconfig `Validate` only probes STUN for the address when `node_ip`
is empty or `use_external_ip` is true), with the ICE range and `tcp_port` equal to the forwarded
ports. `NodeIP.UnmarshalString` accepts "<ipv4>" or "<ipv4>,<ipv6>"; the ICE range is
`port_range_start`/`port_range_end` (one UDP port per ICE candidate, what the forward opens).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .input_errors import SAFE_TOKEN, check, check_port, raise_if
from .yaml_text import dump_yaml

Port = int

_INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


class _LiveKitModel(BaseModel):
    # extra="forbid" mirrors yaml.v3 KnownFields(true): a key LiveKit does not know is an error.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class LiveKitRtc(_LiveKitModel):
    udp_port: int | str | None = None
    tcp_port: Port | None = Field(default=None, ge=1, le=65535)
    port_range_start: Port | None = Field(default=None, ge=1, le=65535)
    port_range_end: Port | None = Field(default=None, ge=1, le=65535)
    node_ip: str | None = None
    use_external_ip: bool = False
    use_ice_lite: bool | None = None
    stun_servers: list[str] | None = None
    allow_tcp_fallback: bool | None = None

    @field_validator("node_ip")
    @classmethod
    def _node_ip(cls, value: str | None) -> str | None:
        # rtcconfig NodeIP.UnmarshalString: one or two comma-separated addresses.
        if value is not None:
            parts = [p.strip() for p in value.split(",")]
            if len(parts) > 2:
                raise ValueError("node_ip is '<ipv4>' or '<ipv4>,<ipv6>'")
            for part in parts:
                ipaddress.ip_address(part)
        return value

    @model_validator(mode="after")
    def _range(self) -> LiveKitRtc:
        start, end = self.port_range_start, self.port_range_end
        if (start is None) != (end is None):
            raise ValueError("port_range_start and port_range_end are set together")
        if start is not None and end is not None and end <= start:
            raise ValueError(f"port_range_end {end} must be greater than port_range_start {start}")
        return self


class LiveKitRedis(_LiveKitModel):
    address: str | None = None
    username: str | None = None
    password: str | None = None
    db: int | None = None
    use_tls: bool | None = None


class LiveKitLogging(_LiveKitModel):
    level: Literal["debug", "info", "warn", "error"] | None = None
    json_: bool | None = Field(default=None, alias="json")
    pion_level: Literal["debug", "info", "warn", "error"] | None = None


class LiveKitPrometheus(_LiveKitModel):
    port: Port | None = Field(default=None, ge=1, le=65535)


class LiveKitRoom(_LiveKitModel):
    auto_create: bool | None = None
    empty_timeout: int | None = Field(default=None, ge=0)
    departure_timeout: int | None = Field(default=None, ge=0)
    max_participants: int | None = Field(default=None, ge=0)


class LiveKitTurn(_LiveKitModel):
    enabled: bool = False


class LiveKitConfig(_LiveKitModel):
    port: Port = Field(default=7880, ge=1, le=65535)
    bind_addresses: list[str] | None = None
    rtc: LiveKitRtc = LiveKitRtc()
    redis: LiveKitRedis | None = None
    keys: dict[str, str] = Field(min_length=1)
    logging: LiveKitLogging | None = None
    prometheus: LiveKitPrometheus | None = None
    region: str | None = None
    room: LiveKitRoom | None = None
    turn: LiveKitTurn | None = None


@dataclass(frozen=True)
class LiveKitSettings:
    """What the stack decides for one LiveKit server.

    `api_keys` maps API key -> secret; the secrets (and `redis_password`) arrive as Pulumi
    secrets, so the lead renders inside `Output.apply` and keeps the text secret.
    """

    node_ip: str
    udp_port_start: int
    udp_port_end: int
    tcp_port: int
    api_keys: Mapping[str, str]
    redis_address: str
    redis_password: str | None = None
    port: int = 7880
    bind_addresses: tuple[str, ...] = field(default=())
    log_level: Literal["debug", "info", "warn", "error"] = "info"
    prometheus_port: int | None = None


def _check(settings: LiveKitSettings) -> None:
    problems: list[str] = []
    try:
        ip = ipaddress.ip_address(settings.node_ip)
        # The classic mistake behind NAT is announcing the guest's own bridge address.
        internal = (
            any(ip in net for net in _INTERNAL_NETWORKS)
            or not (ip.is_global or ip.is_private)
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_unspecified
            or ip.is_multicast
        )
        check(
            problems,
            not internal,
            "node_ip",
            settings.node_ip,
            "the public address clients reach (not RFC 1918, CGNAT, loopback or link-local)",
        )
    except ValueError:
        check(problems, False, "node_ip", settings.node_ip, "an IP address")
    for name in ("udp_port_start", "udp_port_end", "tcp_port", "port"):
        check_port(problems, name, getattr(settings, name))
    check(
        problems,
        settings.udp_port_end > settings.udp_port_start,
        "udp_port_end",
        settings.udp_port_end,
        f"greater than udp_port_start ({settings.udp_port_start})",
    )
    check(problems, len(settings.api_keys) > 0, "api_keys", {}, "at least one API key")
    for key, secret in settings.api_keys.items():
        check(
            problems,
            bool(SAFE_TOKEN.match(key)),
            "api_keys",
            key,
            "an API key of letters, digits, '.', '_', '-'",
        )
        check(problems, bool(secret), f"api_keys[{key}]", "", "a non-empty secret")
    host, _, port = settings.redis_address.rpartition(":")
    check(
        problems,
        bool(host) and port.isdigit(),
        "redis_address",
        settings.redis_address,
        "host:port",
    )
    raise_if("livekit.yaml", problems)


def livekit_config(settings: LiveKitSettings) -> LiveKitConfig:
    """The typed config for one LiveKit server behind NAT or on a public host."""
    _check(settings)
    return LiveKitConfig(
        port=settings.port,
        bind_addresses=list(settings.bind_addresses) or None,
        rtc=LiveKitRtc(
            node_ip=settings.node_ip,
            use_external_ip=False,
            port_range_start=settings.udp_port_start,
            port_range_end=settings.udp_port_end,
            tcp_port=settings.tcp_port,
        ),
        redis=LiveKitRedis(address=settings.redis_address, password=settings.redis_password),
        keys=dict(sorted(settings.api_keys.items())),
        # `json` is a field name that would shadow BaseModel.json, so it is set by its alias.
        logging=LiveKitLogging.model_validate({"level": settings.log_level, "json": True}),
        prometheus=(
            LiveKitPrometheus(port=settings.prometheus_port)
            if settings.prometheus_port is not None
            else None
        ),
        turn=LiveKitTurn(enabled=False),
    )


def livekit_yaml(settings: LiveKitSettings) -> str:
    """The `livekit.yaml` text: the typed config dumped without unset keys."""
    config = livekit_config(settings)
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dump_yaml(data)
