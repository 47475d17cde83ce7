"""The hub and staging stacks in a real Docker engine: what the spec's matrix allows connects,
nothing else does, and published ports answer on their declared address only.

The chain proven: stack file -> spec -> derived connectivity matrix -> recorded docker resources
(the program under mocks) -> containers in dockerd (a probe image in place of each service
image, names, aliases, networks, `internal` and published ports kept) -> real connections.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.derive import connectivity
from components.derive.matrix import Matrix
from components.derive.plan import stack_plan
from components.plan import RecordedResource, plan_stack
from components.plan.stack_spec import read_stack_spec

from .engine import DockerEngine
from .harness import assert_stack_isolated, membership, pair_matrix

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("hub", "staging")
# What a proxy listens on, whatever its kind (the "implied 80/443").
PROXY_PORTS = {("tcp", 80), ("tcp", 443)}


def _edges(ports: int | str) -> set[int]:
    low, _, high = str(ports).partition("-")
    return {int(low), int(high or low)}


def stack_file_ports(stack: str) -> dict[str, set[tuple[str, int]]]:
    """Each service's ports as the stack file writes them (its `listen` and `expose` entries,
    a range by its two ends, and the proxy's web ports): read from the YAML itself, not through
    the code that writes the containers' listen labels."""
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    ports: dict[str, set[tuple[str, int]]] = {}
    for name, service in config["platform:services"].items():
        found = ports.setdefault(name, set())
        for item in service.get("listen", []):
            found |= {(item["protocol"], port) for port in _edges(item["ports"])}
        for expose in service.get("expose", []):
            if expose["kind"] == "route":
                found.add(("tcp", int(expose["port"])))
            else:
                found |= {(expose["protocol"], port) for port in _edges(expose["ports"])}
    ports[config["platform:proxy"]["service"]] |= PROXY_PORTS
    return ports


def _recorded(stack: str) -> list[RecordedResource]:
    return plan_stack(ROOT, stack).resources


def _matrix(stack: str) -> Matrix:
    """The stack's matrix with what it derives (the monitoring set and its exporters, which
    join the networks platform:monitoring and their databases name)."""
    return stack_plan(read_stack_spec(ROOT / f"Pulumi.{stack}.yaml")).matrix


@pytest.mark.parametrize("stack", STACKS)
def test_recorded_networks_are_the_spec_matrix(stack: str) -> None:
    spec = read_stack_spec(ROOT / f"Pulumi.{stack}.yaml")
    plan = stack_plan(spec)
    matrix = plan.matrix
    docker_names = {key: net.dockerName or key for key, net in spec.networks.items()}
    expected = {
        service: {docker_names[n] for n in matrix.networks if matrix.connected(service, n)}
        for service in matrix.services
        if not plan.services[service].host_network
    }
    assert membership(_recorded(stack)) == expected
    # The stack file's own services keep the matrix the file alone gives.
    own = connectivity(spec)
    for service in own.services:
        assert {n for n in own.networks if own.connected(service, n)} == {
            n for n in matrix.networks if matrix.connected(service, n)
        }, service


@pytest.mark.docker
@pytest.mark.parametrize("stack", STACKS)
def test_stack_isolates_as_the_matrix_says(docker_engine: DockerEngine, stack: str) -> None:
    matrix = _matrix(stack)
    observed = assert_stack_isolated(docker_engine, _recorded(stack))
    # Every pair the engine was asked about connects exactly when the spec's matrix says the two
    # services share a network (a reply from the wrong container counts as a failure).
    pairs = pair_matrix(observed.matrix())
    # Every port the stack file names was probed on its service (by some route).
    probed = {(key.target, key.proto, key.port) for key in observed.results}
    expected = {
        (service, proto, port)
        for service, ports in stack_file_ports(stack).items()
        for proto, port in ports
    }
    assert expected - probed == set()
    for (source, target), reached in pairs.items():
        if source == target or source not in matrix.services or target not in matrix.services:
            continue
        assert reached == matrix.share_network(source, target), (source, target)
