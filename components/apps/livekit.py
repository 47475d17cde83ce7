"""LiveKit server: its livekit.yaml rendered from the stack (address, forwards, secrets).

livekit-server reads its config body from LIVEKIT_CONFIG. The media ports are the service's
forwards (one UDP range, one TCP port), announced on its host's public address, which a cloud
server only knows once it exists: the text is rendered at apply time and kept secret (it
carries the API secret). The typed model of livekit.yaml's keys is components/render/livekit.py.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from components.spec.common import SecretRef, ShellSafe, Strict
from components.spec.ports import PortRange
from components.values import PUBLIC_ADDRESS, AppContribution, Rendered

if TYPE_CHECKING:
    from components.spec.errors import Problem
    from components.spec.services import ServiceSpec

KIND = "livekit"
CONFIG_ENV = "LIVEKIT_CONFIG"


class LiveKitAccess(Strict):
    """What a LiveKit server and the apps that join it (Egress) share: the API key and the
    Redis they coordinate through."""

    apiKey: SecretRef = Field(description="LiveKit API key name, under platform:secrets.")
    apiSecret: SecretRef = Field(description="The API key's secret, under platform:secrets.")
    redisAddress: ShellSafe = Field(
        description="host:port of the Redis that LiveKit and Egress share, e.g. 10.0.0.10:6379."
    )
    redisPassword: SecretRef = Field(description="Redis password, under platform:secrets.")

    def secret_paths(self) -> dict[str, str]:
        """The ``Rendered`` arguments these secrets arrive as: api_key, api_secret,
        redis_password."""
        return {
            "api_key": self.apiKey.secret,
            "api_secret": self.apiSecret.secret,
            "redis_password": self.redisPassword.secret,
        }


class Spec(LiveKitAccess):
    """What LiveKit's config needs beyond what the stack already knows (address, ports)."""

    kind: Literal["livekit"]
    httpPort: int = Field(default=7880, ge=1, le=65535, description="Signal/API port.")
    prometheusPort: int | None = Field(
        default=6789,
        ge=1,
        le=65535,
        description="Port of LiveKit's Prometheus metrics (scraped by platform:monitoring), "
        "or null for none.",
    )


def _spec(service: ServiceSpec) -> Spec:
    assert isinstance(service.app, Spec)
    return service.app


def problems(name: str, service: ServiceSpec) -> Iterator[Problem]:
    from components.spec.errors import Problem  # noqa: PLC0415 -- see components/apps

    udp, tcp = _forwards(service, "udp"), _forwards(service, "tcp")
    if len(udp) != 1 or udp[0].start == udp[0].end or len(tcp) != 1:
        yield Problem(
            ("services", name, "expose"),
            f"has {len(udp)} udp and {len(tcp)} tcp forwards; a LiveKit service forwards one "
            "udp range (its WebRTC media ports) and one tcp port (ICE/TCP), which its "
            "livekit.yaml announces",
        )


def _forwards(service: ServiceSpec, protocol: str) -> list[PortRange]:
    from components.spec.services import ForwardExpose  # noqa: PLC0415 -- see components/apps

    return [
        e.ports for e in service.expose if isinstance(e, ForwardExpose) and e.protocol == protocol
    ]


def contribute(name: str, service: ServiceSpec) -> AppContribution:
    from components.render.livekit import LiveKitSettings, livekit_yaml  # noqa: PLC0415

    app = _spec(service)
    (udp,) = _forwards(service, "udp")
    (tcp,) = _forwards(service, "tcp")

    def render(values: Mapping[str, str]) -> str:
        return livekit_yaml(
            LiveKitSettings(
                node_ip=values[PUBLIC_ADDRESS],
                udp_port_start=udp.start,
                udp_port_end=udp.end,
                tcp_port=tcp.start,
                api_keys={values["api_key"]: values["api_secret"]},
                redis_address=app.redisAddress,
                redis_password=values["redis_password"],
                port=app.httpPort,
                prometheus_port=app.prometheusPort,
            )
        )

    config = Rendered(render=render, secrets=app.secret_paths(), public_address=True)
    return AppContribution(secret_env={CONFIG_ENV: config})
