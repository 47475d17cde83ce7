"""prod's LiveKit gets the livekit.yaml the stack implies: announced on the public address, its
media ports equal to the NAT forwards, keys from the secrets, and nothing LiveKit would refuse."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from components.derive import edge_openings
from components.plan import plan_stack
from components.plan.recording import SECRET_SIG_KEY
from components.plan.stack_file import read_stack_config
from components.plan.stack_spec import read_stack_spec
from components.render.livekit import LiveKitConfig
from tests.secrets.example import EXAMPLE_PASSPHRASE

ROOT = Path(__file__).resolve().parent.parent


def _livekit_yaml() -> str:
    result = plan_stack(ROOT, "prod", passphrase=EXAMPLE_PASSPHRASE)
    (container,) = [r for r in result.resources if r.name == "livekit-container"]
    envs = container.inputs["envs"]
    (wrapped,) = [e for e in envs if isinstance(e, dict) and "LIVEKIT_CONFIG=" in e["value"]]
    assert SECRET_SIG_KEY in wrapped  # it carries the API secret and the Redis password
    return str(wrapped["value"]).removeprefix("LIVEKIT_CONFIG=")


def test_livekit_yaml_matches_the_stack() -> None:
    config = LiveKitConfig.model_validate(yaml.safe_load(_livekit_yaml()))
    spec = read_stack_spec(ROOT / "Pulumi.prod.yaml")
    forwards = {(o.protocol, str(o.ports)) for o in edge_openings(spec) if o.service == "livekit"}
    assert config.rtc.node_ip == "203.0.113.10"
    assert config.rtc.use_external_ip is False
    assert ("udp", f"{config.rtc.port_range_start}-{config.rtc.port_range_end}") in forwards
    assert ("tcp", str(config.rtc.tcp_port)) in forwards
    secrets = json.loads(
        read_stack_config(ROOT / "Pulumi.prod.yaml", EXAMPLE_PASSPHRASE).values["platform:secrets"]
    )
    assert config.keys == {secrets["livekit"]["apiKey"]: secrets["livekit"]["apiSecret"]}
    assert config.redis is not None
    assert config.redis.address == "10.0.0.10:6379"
    assert config.redis.password == secrets["redis"]["password"]


def test_livekit_runs_on_its_guest_network_with_a_declared_exception() -> None:
    result = plan_stack(ROOT, "prod")
    (container,) = [r for r in result.resources if r.name == "livekit-container"]
    assert container.inputs["networkMode"] == "host"
    assert [e.policy for e in result.exceptions if e.urn == container.urn] == [
        "docker-container-no-host-namespace"
    ]
