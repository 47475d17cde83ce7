"""livekit.yaml: rendered from the stack's decisions, loaded back into the typed model.

The model mirrors the yaml tags of LiveKit's Config structs and forbids unknown keys, because
LiveKit decodes its config with yaml.v3 `KnownFields(true)` (see components/render/livekit.py
for the source lines); the unknown-key tests below are what LiveKit itself would refuse.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from components.render.input_errors import RenderInputError
from components.render.livekit import LiveKitConfig, LiveKitSettings, livekit_yaml

PROD = LiveKitSettings(
    node_ip="203.0.113.10",
    udp_port_start=50000,
    udp_port_end=60000,
    tcp_port=7881,
    api_keys={"APIprod": "s3cret-value", "APIbackup": "0123"},
    redis_address="10.0.0.16:6379",
    redis_password="redis-pass",
)


def rendered(settings: LiveKitSettings = PROD) -> dict[str, Any]:
    data = yaml.safe_load(livekit_yaml(settings))
    assert isinstance(data, dict)
    return data


def test_rendered_yaml_loads_into_the_typed_model() -> None:
    config = LiveKitConfig.model_validate(rendered())
    assert config.rtc.node_ip == "203.0.113.10"
    assert config.rtc.use_external_ip is False
    assert (config.rtc.port_range_start, config.rtc.port_range_end) == (50000, 60000)
    assert config.rtc.tcp_port == 7881
    assert config.keys == {"APIbackup": "0123", "APIprod": "s3cret-value"}
    assert config.redis is not None
    assert config.redis.address == "10.0.0.16:6379"
    assert config.redis.password == "redis-pass"
    assert config.port == 7880


def test_exact_document() -> None:
    # use_external_ip is written even though false: LiveKit's tag has no omitempty and the
    # explicit value documents that the address is never probed over STUN.
    assert rendered() == {
        "port": 7880,
        "rtc": {
            "tcp_port": 7881,
            "port_range_start": 50000,
            "port_range_end": 60000,
            "node_ip": "203.0.113.10",
            "use_external_ip": False,
        },
        "redis": {"address": "10.0.0.16:6379", "password": "redis-pass"},
        "keys": {"APIbackup": "0123", "APIprod": "s3cret-value"},
        "logging": {"level": "info", "json": True},
        "turn": {"enabled": False},
    }


def test_numeric_looking_secret_stays_a_string() -> None:
    # Go decodes `keys` as map[string]string: an unquoted 0123 would still be a string there,
    # but the YAML must not turn it into a number for any other reader either.
    assert "APIbackup: '0123'" in livekit_yaml(PROD)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        pytest.param((), "node_ip", id="top-level-typo"),
        pytest.param(("rtc",), "udp_port_range", id="rtc"),
        pytest.param(("redis",), "adress", id="redis"),
        pytest.param(("logging",), "format", id="logging"),
        pytest.param(("turn",), "domain_name", id="turn"),
    ],
)
def test_unknown_key_is_rejected(path: tuple[str, ...], key: str) -> None:
    data = rendered()
    target = data
    for part in path:
        target = target[part]
    target[key] = "x"
    with pytest.raises(ValidationError) as error:
        LiveKitConfig.model_validate(data)
    assert "Extra inputs are not permitted" in str(error.value)
    assert key in str(error.value)


def test_model_rejects_an_inverted_range_and_a_bad_node_ip() -> None:
    data = rendered()
    data["rtc"]["port_range_start"] = 60000
    data["rtc"]["port_range_end"] = 50000
    with pytest.raises(ValidationError, match="must be greater than port_range_start"):
        LiveKitConfig.model_validate(data)
    data = rendered()
    data["rtc"]["node_ip"] = "livekit.example.com"
    with pytest.raises(ValidationError, match="does not appear to be an IPv4 or IPv6 address"):
        LiveKitConfig.model_validate(data)


def test_settings_problems_are_reported_together() -> None:
    bad = LiveKitSettings(
        node_ip="10.0.0.10",
        udp_port_start=60000,
        udp_port_end=50000,
        tcp_port=0,
        api_keys={},
        redis_address="redis",
    )
    with pytest.raises(RenderInputError) as error:
        livekit_yaml(bad)
    assert [p.split("=", 1)[0] for p in error.value.problems] == [
        "node_ip",
        "tcp_port",
        "udp_port_end",
        "api_keys",
        "redis_address",
    ]
    assert "node_ip='10.0.0.10': the public address clients reach" in str(error.value)


def test_placeholder_secrets_render() -> None:
    # Planning renders with "[secret]" stand-ins; the text must still be a valid config.
    text = livekit_yaml(
        LiveKitSettings(
            node_ip="203.0.113.10",
            udp_port_start=50000,
            udp_port_end=60000,
            tcp_port=7881,
            api_keys={"APIprod": "[secret]"},
            redis_address="redis:6379",
            redis_password="[secret]",
        )
    )
    assert LiveKitConfig.model_validate(yaml.safe_load(text)).keys == {"APIprod": "[secret]"}
