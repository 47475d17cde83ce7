"""The proxy reaches a host-network service on its own machine at the upstream the plan gives
it (the machine's address), in a real engine; the service's name does not resolve there.

The spec side (a host-network service is routed without joining the proxy's network, and a
cloud server, whose address is known only once it exists, is refused) is tests/spec/
test_host_network_routes.py. Here the machine is prod's proxy guest: its address goes on the
engine namespace's `lo`, as the guest's own address is on its `eth0`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from components.derive import proxy_routes
from tests.spec.spec_helpers import parse, put
from tests.spec.test_models import doc

from .engine import PROBE_IMAGE, DockerEngine, EngineError, start_engine, stop_engine

SUBNET = "10.213.8.0/24"  # out of Docker's default pools and the stacks' recorded subnets


@pytest.fixture
def engine() -> Iterator[DockerEngine]:
    try:
        started = start_engine()
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield started
    finally:
        stop_engine(started)


def test_the_proxy_reaches_a_host_network_service_at_its_upstream(engine: DockerEngine) -> None:
    spec = parse(doc(put("services", "livekit", "machine", value="proxy")))
    (route,) = [r for r in proxy_routes(spec) if r.service == "livekit"]
    upstream = urlsplit(route.upstream)
    assert upstream.hostname is not None
    assert upstream.port is not None
    engine.add_address(upstream.hostname)
    livekit = engine.api.create_container(
        PROBE_IMAGE,
        ["serve", "livekit", f"tcp/{upstream.port}"],
        host_config=engine.api.create_host_config(network_mode="host"),
    )["Id"]
    network = engine.api.create_network(
        "app", driver="bridge", ipam={"Config": [{"Subnet": SUBNET}]}
    )["Id"]
    proxy = engine.api.create_container(
        PROBE_IMAGE,
        ["serve", "npm", "tcp/81"],
        networking_config=engine.api.create_networking_config(
            {network: engine.api.create_endpoint_config()}
        ),
    )["Id"]
    for container in (livekit, proxy):
        engine.api.start(container)
    argv = [
        "/probe",
        "check",
        "1500",
        f"tcp:{upstream.hostname}:{upstream.port}",
        f"tcp:livekit:{upstream.port}",
    ]
    deadline = time.monotonic() + 20
    while True:  # until the service's own `serve` listens
        lines = sorted(
            engine.api.exec_start(engine.api.exec_create(proxy, argv)).decode().splitlines()
        )
        if "refused" not in lines[0] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert lines == [f"0 ok livekit tcp {upstream.port}", "1 err dns"], lines
