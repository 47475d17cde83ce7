"""Two networks with one `bridgeName`: the real engine refuses the second at apply time, so the
spec refuses the config first, naming both networks."""

from __future__ import annotations

import secrets

import docker.errors
import pytest

from tests.spec.spec_helpers import error_text, put
from tests.spec.test_models import doc

from .engine import DockerEngine

SUBNETS = ("10.213.9.0/24", "10.213.10.0/24")  # out of the default pools and recorded subnets


def test_the_engine_refuses_a_second_network_on_one_bridge(docker_engine: DockerEngine) -> None:
    bridge = f"brdup{secrets.token_hex(2)}"

    def create(index: int) -> str:
        network: str = docker_engine.api.create_network(
            f"dup-{bridge}-{index}",
            driver="bridge",
            options={"com.docker.network.bridge.name": bridge},
            ipam={"Config": [{"Subnet": SUBNETS[index]}]},
        )["Id"]
        return network

    first = create(0)
    try:
        with pytest.raises(docker.errors.APIError, match="networks have same bridge name"):
            docker_engine.api.remove_network(create(1))
    finally:
        docker_engine.api.remove_network(first)


def test_the_spec_refuses_it_before_the_apply() -> None:
    text = error_text(
        doc(
            put("networks", "app", "bridgeName", value="br-app"),
            put("networks", "web", value={"bridgeName": "br-app"}),
        )
    )
    assert (
        "platform:networks.web.bridgeName: br-app is already the bridgeName of "
        "platform:networks.app; each network needs its own bridgeName"
    ) in text.splitlines()
