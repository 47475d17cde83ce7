"""Registry credentials reach the Docker provider of every engine that pulls from the registry,
as secrets, and no other engine's.

Each stack file gets a ``platform:registries`` entry for ghcr.io and Docker Hub; which engines
pull from where is read from the stack file's images here, not from the code under test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.plan import RecordedResource, run_program
from components.plan.recording import SECRET_SIG, SECRET_SIG_KEY
from tests.provider_facts.replacement import ROOT, stack_config

PROVIDER = "pulumi:providers:docker"
CONTAINER = "docker:index/container:Container"
IMAGE = "docker:index/remoteImage:RemoteImage"
# The keys the provider's pull looks credentials up by (tests/provider_facts/docker.py).
GHCR, HUB = "ghcr.io", "registry-1.docker.io"


def _record(stack: str) -> tuple[list[RecordedResource], dict[str, Any]]:
    values, secrets = stack_config(stack)
    values["platform:registries"] = {
        "ghcr.io": {"username": "deploy-bot", "password": {"secret": "registries.ghcr"}},
        "docker.io": {"username": "hub-bot", "password": {"secret": "registries.hub"}},
    }
    values["platform:secrets"]["registries"] = {"ghcr": "ghp_example", "hub": "dckr_example"}
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    run = run_program(
        ROOT / "__main__.py",
        project="selfhosted-platform",
        stack=stack,
        config=config,
        secret_keys=secrets,
    )
    if run.error is not None:
        raise run.error
    return run.resources, values["platform:services"]


def _auth(provider: RecordedResource) -> list[dict[str, str]]:
    """The provider's registry_auth: a provider's inputs reach it as JSON text, and this one,
    holding passwords, as a secret."""
    value = provider.inputs.get("registryAuth")
    if value is None:
        return []
    assert value[SECRET_SIG_KEY] == SECRET_SIG
    entries: list[dict[str, str]] = json.loads(value["value"])
    return entries


def _registry(image: str) -> str:
    first, _, rest = image.partition("/")
    return first if rest and "." in first else HUB


@pytest.mark.parametrize("stack", ["hub", "prod", "staging"])
def test_each_engine_gets_the_credentials_of_the_registries_it_pulls_from(stack: str) -> None:
    resources, services = _record(stack)
    providers = {r.urn: r for r in resources if r.type == PROVIDER}
    wanted: dict[str, set[str]] = {urn: set() for urn in providers}
    images = {r.name: r.inputs["name"] for r in resources if r.type == IMAGE}
    for container in (r for r in resources if r.type == CONTAINER):
        service = container.name.removesuffix("-container")
        # A service the stack adds (an app's sidecar, platform:monitoring's exporters) has no
        # entry in the stack file: its image is the one its RemoteImage pulls.
        image = services[service]["image"] if service in services else images[f"{service}-image"]
        # Only the two registries given credentials above (gcr.io, quay.io have none).
        wanted[container.provider_urn] |= {_registry(image)} & {GHCR, HUB}
    for urn, provider in providers.items():
        auth = _auth(provider)
        assert {entry["address"] for entry in auth} == wanted[urn], urn
        for entry in auth:
            assert entry["password"] == {GHCR: "ghp_example", HUB: "dckr_example"}[entry["address"]]
            assert entry["username"] == {GHCR: "deploy-bot", HUB: "hub-bot"}[entry["address"]]
    # Every engine that pulls from ghcr.io got its credentials, and the stack has one.
    pulls_ghcr = [urn for urn, registries in wanted.items() if GHCR in registries]
    assert pulls_ghcr
    for urn in pulls_ghcr:
        assert GHCR in {e["address"] for e in _auth(providers[urn])}


def test_an_engine_that_pulls_only_from_docker_hub_gets_no_ghcr_credentials() -> None:
    resources, services = _record("prod")
    by_name = {r.name: r for r in resources}
    # The livekit guest runs livekit/livekit-server and redis: Docker Hub images only.
    assert {services[s]["image"].split("/")[0] for s in ("livekit", "redis")} == {
        "livekit",
        "redis:7.4.2",
    }
    provider_urn = by_name["livekit-container"].provider_urn
    (provider,) = [r for r in resources if r.urn == provider_urn]
    assert [entry["address"] for entry in _auth(provider)] == [HUB]
