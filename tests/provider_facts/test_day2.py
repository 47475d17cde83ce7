"""Day 2 on every stack: the recorded plan replaces exactly what must be replaced.

Each case edits a stack file's config the way an operator would, records the program before
and after under the mock runtime, and checks the changed inputs against the providers' ForceNew
table and the resources' replace_on_changes (tests/provider_facts/force_new.py, replacement.py).
What must be replaced comes from the stack file: the service edited, and its own image.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from components.plan import RecordedResource
from tests.provider_facts.replacement import Change, compare, record, stack_config

Edit = Callable[[dict[str, Any]], None]

# Per stack: a stateless service and a stateful one with a volume, from the stack files.
SERVICES = {
    "hub": ("agent", "chat-postgres"),
    "prod": ("backend", "redis"),
    "staging": ("backend", "redis"),
}


@cache
def _baseline(stack: str) -> tuple[dict[str, Any], frozenset[str], tuple[RecordedResource, ...]]:
    values, secrets = stack_config(stack)
    return values, secrets, tuple(record(values, secrets, stack=stack))


def _change(stack: str, edit: Edit) -> Change:
    values, secrets, before = _baseline(stack)
    edited = copy.deepcopy(values)
    edit(edited)
    return compare(list(before), record(edited, secrets, stack=stack))


def _services(values: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = values["platform:services"]
    return services


def _bump_tag(service: str) -> Edit:
    def edit(values: dict[str, Any]) -> None:
        entry = _services(values)[service]
        repository, _, tag = entry["image"].rpartition(":")
        entry["image"] = f"{repository}:{tag}-day2"

    return edit


def _healthcheck(service: str) -> Edit:
    def edit(values: dict[str, Any]) -> None:
        _services(values)[service]["healthcheck"]["intervalSeconds"] = 90

    return edit


def _grace(service: str) -> Edit:
    def edit(values: dict[str, Any]) -> None:
        _services(values)[service]["stopGraceSeconds"] = 120

    return edit


def _add_service(model: str) -> Edit:
    def edit(values: dict[str, Any]) -> None:
        services = _services(values)
        base = services[model]
        services["day2"] = {
            "machine": base["machine"],
            "image": "ghcr.io/example/day2:1.0.0",
            "networks": base["networks"],
            # Small enough to fit every stack's machine (the plan refuses one whose memory is
            # less than its containers' limits and the system's reserve; staging's droplet has
            # 141 MiB left, hub's server 154).
            "resources": {"memoryMb": 128, "cpus": 0.5, "pids": 256},
            "healthcheck": {"test": ["CMD", "true"]},
        }

    return edit


@pytest.mark.parametrize("stack", sorted(SERVICES))
@pytest.mark.parametrize("which", [0, 1])
def test_an_image_tag_replaces_its_image_and_container_only(stack: str, which: int) -> None:
    service = SERVICES[stack][which]
    change = _change(stack, _bump_tag(service))
    assert set(change.replaced) == {f"{service}-image", f"{service}-container"}
    assert change.replaced[f"{service}-container"] == [
        "image: kreuzwerker/terraform-provider-docker@v4.5.0:internal/provider/"
        "resource_docker_container.go:145"
    ]
    assert change.created == []
    assert change.updated == {}


@pytest.mark.parametrize("stack", sorted(SERVICES))
def test_a_new_service_creates_its_image_and_container_and_touches_nothing(stack: str) -> None:
    change = _change(stack, _add_service(SERVICES[stack][0]))
    assert change.replaced == {}
    assert change.updated == {}
    assert sorted(change.created) == ["day2-container", "day2-image"]


@pytest.mark.parametrize("stack", sorted(SERVICES))
@pytest.mark.parametrize("which", [0, 1])
def test_a_healthcheck_change_replaces_the_container_only(stack: str, which: int) -> None:
    service = SERVICES[stack][which]
    change = _change(stack, _healthcheck(service))
    assert change.replaced == {
        f"{service}-container": ["healthcheck.interval: replaceOnChanges healthcheck"]
    }
    assert change.created == []
    assert change.updated == {}


@pytest.mark.parametrize("stack", sorted(SERVICES))
def test_a_new_grace_replaces_the_stateful_container_only(stack: str) -> None:
    service = SERVICES[stack][1]
    change = _change(stack, _grace(service))
    # stop_timeout is fixed at create; destroy_grace_seconds alone would be a state update.
    assert set(change.replaced) == {f"{service}-container"}
    assert change.replaced[f"{service}-container"][-1].startswith("stopTimeout: ")
    assert change.created == []
    assert change.updated == {}


def test_without_replace_on_changes_a_healthcheck_edit_would_only_update_the_state() -> None:
    _, _, before = _baseline("hub")
    values, secrets, _ = _baseline("hub")
    edited = copy.deepcopy(values)
    _healthcheck("agent")(edited)
    after = record(edited, secrets, stack="hub")
    for resource in after:
        resource.replace_on_changes = []
    change = compare(list(before), after)
    assert change.replaced == {}
    assert change.updated == {"agent-container": ["healthcheck.interval", "waitTimeout"]}
