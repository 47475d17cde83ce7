"""LiveKit: the server's livekit.yaml, rendered from the stack (address, forwards, secrets).

livekit-server reads its config body from LIVEKIT_CONFIG; the media ports are the service's
forwards, announced on its host's public address, which a cloud server only knows once it
exists: the text is rendered at apply time and kept secret (it carries the API secret).
"""

from __future__ import annotations

from collections.abc import Mapping

from components.derive.values import PUBLIC_ADDRESS, Rendered
from components.render.livekit import LiveKitSettings, livekit_yaml
from components.spec import ForwardExpose, ServiceSpec

CONFIG_ENV = "LIVEKIT_CONFIG"


def livekit_config_value(service: ServiceSpec) -> Rendered:
    livekit = service.livekit
    assert livekit is not None
    forwards = [e for e in service.expose if isinstance(e, ForwardExpose)]
    udp = next(e.ports for e in forwards if e.protocol == "udp")
    tcp = next(e.ports.start for e in forwards if e.protocol == "tcp")

    def render(values: Mapping[str, str]) -> str:
        return livekit_yaml(
            LiveKitSettings(
                node_ip=values[PUBLIC_ADDRESS],
                udp_port_start=udp.start,
                udp_port_end=udp.end,
                tcp_port=tcp,
                api_keys={values["api_key"]: values["api_secret"]},
                redis_address=livekit.redisAddress,
                redis_password=values["redis_password"],
                port=livekit.httpPort,
            )
        )

    return Rendered(
        render=render,
        secrets={
            "api_key": livekit.apiKey.secret,
            "api_secret": livekit.apiSecret.secret,
            "redis_password": livekit.redisPassword.secret,
        },
        public_address=True,
    )
