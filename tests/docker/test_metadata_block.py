"""Containers cannot reach the cloud metadata address; the host can; it holds across restarts.

The metadata service is a real listener (the probe's `serve`) on 169.254.169.254 in a network
namespace of its own, reached from the engine's namespace through a veth and a route, as a
cloud server reaches its provider's metadata service through its gateway: a container's
packets to it are forwarded and masqueraded by Docker. The block is the rendered script
(components/render/metadata_block.py), run before dockerd starts as the rendered drop-in's
`ExecStartPre` runs it on a host: at a boot (a fresh namespace, so a fresh netfilter) and at
every restart of Docker.
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from components.render.metadata_block import (
    CHAIN,
    METADATA_ADDRESS,
    SCRIPT_PATH,
    metadata_block_dropin,
    metadata_block_script,
)

from .engine import (
    PROBE_IMAGE,
    DockerEngine,
    EngineError,
    probe_rootfs_tar,
    restart_dockerd,
    run,
    start_dockerd,
    stop_engine,
)

PORT = 80
REPLY = f"metadata tcp {PORT}"
SUBNET = "10.213.7.0/24"  # out of Docker's default pools and the stacks' recorded subnets
LINK = ("198.18.0.1", "198.18.0.2")  # engine side, metadata side (RFC 2544 test range)


@contextmanager
def metadata_service(engine: DockerEngine) -> Iterator[None]:
    """A listener on the metadata address, one route away from the engine's namespace."""
    assert engine.probe_binary is not None
    tag = secrets.token_hex(3)
    netns, outer, inner = f"shmeta-{tag}", f"shmd{tag}", "md0"
    run(["ip", "netns", "add", netns])
    server = None
    try:
        run(["ip", "link", "add", outer, "netns", engine.netns, "type", "veth", "peer", "name",
             inner, "netns", netns])  # fmt: skip
        run(["ip", "-n", engine.netns, "addr", "add", f"{LINK[0]}/30", "dev", outer])
        run(["ip", "-n", engine.netns, "link", "set", outer, "up"])
        run(["ip", "-n", netns, "addr", "add", f"{LINK[1]}/30", "dev", inner])
        run(["ip", "-n", netns, "link", "set", inner, "up"])
        run(["ip", "-n", netns, "link", "set", "lo", "up"])
        run(["ip", "-n", netns, "addr", "add", f"{METADATA_ADDRESS}/32", "dev", "lo"])
        run(["ip", "-n", engine.netns, "route", "add", f"{METADATA_ADDRESS}/32", "via", LINK[1]])
        server = subprocess.Popen(
            ["ip", "netns", "exec", netns, str(engine.probe_binary), "serve", "metadata",
             f"tcp/{PORT}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while from_host(engine) != f"ok {REPLY}":
            if time.monotonic() > deadline:
                raise EngineError(f"the metadata listener does not answer: {from_host(engine)}")
            time.sleep(0.1)
        yield
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=10)
        run(["ip", "-n", engine.netns, "route", "del", f"{METADATA_ADDRESS}/32"], check=False)
        run(["ip", "netns", "del", netns], check=False)  # takes the veth pair with it


def _check(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    line = proc.stdout.strip()
    assert line.startswith("0 "), proc.stdout + proc.stderr
    return line.removeprefix("0 ")


def from_host(engine: DockerEngine) -> str:
    assert engine.probe_binary is not None
    target = f"tcp:{METADATA_ADDRESS}:{PORT}"
    return _check(engine.ns_argv(str(engine.probe_binary), "check", "1500", target))


def from_container(engine: DockerEngine, container: str) -> str:
    exec_id = engine.api.exec_create(
        container, ["/probe", "check", "1500", f"tcp:{METADATA_ADDRESS}:{PORT}"]
    )
    output = engine.api.exec_start(exec_id).decode(errors="replace")
    line = output.strip()
    assert line.startswith("0 "), output
    return line.removeprefix("0 ")


def bridge_container(engine: DockerEngine) -> tuple[str, str]:
    """A probe container on a user-defined, non-internal bridge network, restarted with dockerd;
    returns the container's and the network's ids."""
    network = engine.api.create_network(
        f"meta-{secrets.token_hex(2)}",
        driver="bridge",
        internal=False,
        ipam={"Config": [{"Subnet": SUBNET}]},
    )["Id"]
    container = engine.api.create_container(
        PROBE_IMAGE,
        ["serve", "c", "tcp/9"],
        host_config=engine.api.create_host_config(restart_policy={"Name": "always"}),
        networking_config=engine.api.create_networking_config(
            {network: engine.api.create_endpoint_config()}
        ),
    )["Id"]
    engine.api.start(container)
    wait_running(engine, container)
    return container, network


def wait_running(engine: DockerEngine, container: str) -> None:
    deadline = time.monotonic() + 30
    while not engine.api.inspect_container(container)["State"]["Running"]:
        if time.monotonic() > deadline:
            pytest.fail(f"container {container[:12]} is not running", pytrace=False)
        time.sleep(0.2)


def rules(engine: DockerEngine, chain: str) -> list[str]:
    return engine.ns_run("iptables", "-w", "-S", chain).splitlines()


@pytest.fixture
def booted_with_the_block(docker_engine: DockerEngine) -> Iterator[DockerEngine]:
    """A fresh engine whose namespace ran the rendered script before dockerd started."""
    assert docker_engine.probe_binary is not None
    try:
        engine = start_dockerd(pre_start=metadata_block_script())
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        engine.probe_binary = docker_engine.probe_binary
        engine.api.import_image_from_data(
            probe_rootfs_tar(docker_engine.probe_binary),
            repository=PROBE_IMAGE.partition(":")[0],
            tag=PROBE_IMAGE.partition(":")[2],
            changes=['ENTRYPOINT ["/probe"]'],
        )
        yield engine
    finally:
        stop_engine(engine)


def test_without_the_block_a_container_reads_the_metadata_service(
    docker_engine: DockerEngine,
) -> None:
    # The negative control: the path the block closes is really open.
    container, network = bridge_container(docker_engine)
    try:
        with metadata_service(docker_engine):
            assert from_host(docker_engine) == f"ok {REPLY}"
            assert from_container(docker_engine, container) == f"ok {REPLY}"
    finally:
        docker_engine.api.remove_container(container, force=True)
        docker_engine.api.remove_network(network)


def test_from_boot_containers_are_refused_and_the_host_is_not(
    booted_with_the_block: DockerEngine,
) -> None:
    engine = booted_with_the_block
    container, _ = bridge_container(engine)
    with metadata_service(engine):
        assert from_host(engine) == f"ok {REPLY}"
        assert from_container(engine, container) == "err refused"
        # Docker kept the rule it found and jumps to its chain first.
        forward = rules(engine, "FORWARD")
        assert forward[1] == f"-A FORWARD -j {CHAIN}", forward
        assert rules(engine, CHAIN) == [
            f"-N {CHAIN}",
            f"-A {CHAIN} -d {METADATA_ADDRESS}/32 -j REJECT --reject-with icmp-port-unreachable",
            f"-A {CHAIN} -j RETURN",
        ]
        # `systemctl restart docker`: the drop-in runs the script again, Docker starts again
        # and brings the container back: still refused, and the rule is there once.
        restart_dockerd(engine)
        wait_running(engine, container)
        assert from_container(engine, container) == "err refused"
        assert from_host(engine) == f"ok {REPLY}"
        assert len([r for r in rules(engine, CHAIN) if METADATA_ADDRESS in r]) == 1


def test_the_drop_in_runs_the_script_before_every_start_of_dockerd() -> None:
    assert metadata_block_dropin().splitlines()[1:] == ["[Service]", f"ExecStartPre={SCRIPT_PATH}"]
    assert metadata_block_script().startswith("#!/bin/sh\n")
