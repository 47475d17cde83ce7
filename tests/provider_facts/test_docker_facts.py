"""Each stack's containers, as the Docker provider reads them back, are what the program sends.

The mocks return what pulumi-docker's read stores after create (tests/provider_facts/docker.py:
ports by internal port, Go's durations, the provider's cpus text); the next ``up`` compares
the program's inputs with that state, so any difference in a ForceNew or replace-on-change field
would replace the container on every ``up``.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker
import pytest

from components.docker.container_service import (
    ContainerService,
    ContainerServiceArgs,
    Healthcheck,
    PortBinding,
)
from components.docker.read_back import go_duration, provider_cpus
from components.plan import recording, run_program
from tests.provider_facts.docker import (
    CPUS_READ_BACK,
    DURATION_READ_BACK,
    read_container,
    read_ports,
)
from tests.provider_facts.force_new import (
    DOCKER_CONTAINER,
    DOCKER_CONTAINER_NOT_FORCE_NEW,
    FORCE_NEW,
)
from tests.provider_facts.replacement import ROOT, stack_config

STACKS = ("hub", "prod", "staging")
CONTAINER = "docker:index/container:Container"


class ProviderReadMocks(recording._EchoMocks):
    """A container's outputs are its state after the provider's read; the rest echo."""

    def __init__(self) -> None:
        self.state: dict[str, dict[str, Any]] = {}

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        id_, outputs = super().new_resource(args)
        if args.typ == CONTAINER:
            outputs = read_container(outputs)
            self.state[args.name] = outputs
        return id_, outputs


def _run(program: Any, **kwargs: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    mocks = ProviderReadMocks()
    run = run_program(program, project="selfhosted-platform", mocks=mocks, **kwargs)
    if run.error is not None:
        raise run.error
    inputs = {r.name: r.inputs for r in run.resources if r.type == CONTAINER}
    return inputs, mocks.state


def _stack(stack: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    import json  # noqa: PLC0415

    values, secrets = stack_config(stack)
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    return _run(ROOT / "__main__.py", stack=stack, config=config, secret_keys=secrets)


def _plain(value: Any) -> Any:
    """The mocks see an unknown (a cloud server's address) as an object, the recording as the
    engine's marker: both read as [unknown]."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, pulumi.output.Unknown) or value == recording.UNKNOWN:
        return "[unknown]"
    return value


@pytest.mark.parametrize("stack", STACKS)
def test_every_container_reads_back_as_sent(stack: str) -> None:
    inputs, state = _stack(stack)
    assert inputs
    for name, sent in inputs.items():
        for field in ("ports", "cpus", "healthcheck"):
            assert _plain(state[name].get(field)) == _plain(sent.get(field)), (name, field)


def test_staging_livekit_ports_are_sent_in_the_providers_order() -> None:
    inputs, _ = _stack("staging")
    ports = inputs["livekit-container"]["ports"]
    # The stack file lists the UDP media range before the ICE/TCP port (7881).
    assert ports[0]["internal"] == 7881
    assert ports == read_ports(ports)


def _service(**overrides: Any) -> None:
    provider = docker.Provider("engine", host="ssh://engine")
    args: dict[str, Any] = {
        "image": "ghcr.io/example/backend:1.0.0",
        "provider": provider,
        "networks": {"app": "app"},
        "healthcheck": Healthcheck(test=["CMD", "true"]),
    }
    args.update(overrides)
    ContainerService("backend", ContainerServiceArgs(**args))


def test_a_minute_long_healthcheck_and_ten_cpus_read_back_as_sent() -> None:
    check = Healthcheck(
        test=["CMD", "true"], interval_seconds=90, timeout_seconds=60, start_period_seconds=120
    )
    inputs, state = _run(
        lambda: _service(
            healthcheck=check,
            cpus=10.0,
            ports=[PortBinding("udp", 50000, 50001, "10.0.0.2"), PortBinding("tcp", 80, 80, "")],
        ),
        stack="test",
        config={},
    )
    sent = inputs["backend-container"]
    assert sent["healthcheck"]["interval"] == "1m30s"
    assert sent["cpus"] == "10."
    for field in ("ports", "cpus", "healthcheck"):
        assert _plain(state["backend-container"][field]) == _plain(sent[field]), field


def test_the_renderers_match_the_providers_read_back() -> None:
    for nano, (text, source) in CPUS_READ_BACK.items():
        assert provider_cpus(nano) == text, source
    for seconds, (text, source) in DURATION_READ_BACK.items():
        assert go_duration(seconds) == text, source


@pytest.mark.parametrize("stack", STACKS)
def test_every_container_input_the_program_sets_is_looked_up(stack: str) -> None:
    inputs, _ = _stack(stack)
    force_new = {rule.path for rule in FORCE_NEW[DOCKER_CONTAINER]}
    for name, sent in inputs.items():
        unknown = set(sent) - force_new - set(DOCKER_CONTAINER_NOT_FORCE_NEW)
        assert not unknown, f"{name}: read the container schema for {sorted(unknown)}"
