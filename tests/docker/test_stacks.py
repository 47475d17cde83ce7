"""The hub and staging stacks in a real Docker engine: what the spec's matrix allows connects,
nothing else does, and published ports answer on their declared address only.

The chain proven: stack file -> spec -> derived connectivity matrix -> recorded docker resources
(the program under mocks) -> containers in dockerd (a probe image in place of each service
image, names, aliases, networks, `internal` and published ports kept) -> real connections.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from components.derive import connectivity, listen_ports
from components.plan import RecordedResource, plan_stack
from components.plan.stack_spec import read_stack_spec

from .engine import DockerEngine
from .harness import assert_stack_isolated, membership, pair_matrix

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("hub", "staging")


def _recorded(stack: str) -> list[RecordedResource]:
    return plan_stack(ROOT, stack).resources


@pytest.mark.parametrize("stack", STACKS)
def test_recorded_networks_are_the_spec_matrix(stack: str) -> None:
    spec = read_stack_spec(ROOT / f"Pulumi.{stack}.yaml")
    matrix = connectivity(spec)
    docker_names = {key: net.dockerName or key for key, net in spec.networks.items()}
    expected = {
        service: {docker_names[n] for n in matrix.networks if matrix.connected(service, n)}
        for service in matrix.services
        if spec.services[service].networkMode == "bridge"
    }
    assert membership(_recorded(stack)) == expected


@pytest.mark.docker
@pytest.mark.parametrize("stack", STACKS)
def test_stack_isolates_as_the_matrix_says(docker_engine: DockerEngine, stack: str) -> None:
    spec = read_stack_spec(ROOT / f"Pulumi.{stack}.yaml")
    matrix = connectivity(spec)
    observed = assert_stack_isolated(docker_engine, _recorded(stack))
    # Every pair the engine was asked about connects exactly when the spec's matrix says the two
    # services share a network (a reply from the wrong container counts as a failure).
    pairs = pair_matrix(observed.matrix())
    listening = {name for name in spec.services if listen_ports(spec, name)}
    assert {target for _, target in pairs} >= listening - {"livekit"}
    for (source, target), reached in pairs.items():
        if source == target or source not in matrix.services or target not in matrix.services:
            continue
        assert reached == matrix.share_network(source, target), (source, target)
