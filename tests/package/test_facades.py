"""The provider's facades convert, never re-implement: their keys are the library's own fields
(so a renamed field fails here), and a facade declares exactly what the library's component
declares from the same values."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, get_args, get_origin

import pulumi
import pulumi_docker as docker
from pulumi.provider.experimental.util import camel_case

from components.docker import container_service as service
from components.docker.engine import RegistryAuth
from components.plan import run_program
from components.provider import facades
from components.spec import DropletHostSpec, HcloudHostSpec


def _keys(kind: Any) -> dict[str, bool]:
    """A TypedDict's keys -> whether each is required."""
    return {k: k in kind.__required_keys__ for k in kind.__annotations__}


def _field_names(kind: Any) -> dict[str, bool]:
    """A dataclass's fields -> whether each is required (no default)."""
    return {f.name: f.default is MISSING and f.default_factory is MISSING for f in fields(kind)}


def test_container_service_keys_are_the_librarys_fields() -> None:
    library = _field_names(service.ContainerServiceArgs)
    facade = {
        k: required
        for k, required in _keys(facades.ContainerServiceArgs).items()
        if k not in ("docker_host", "ssh_opts")
    }
    assert set(facade) <= set(library)
    # Required exactly where the library requires it (its provider comes from docker_host).
    assert {k for k, r in facade.items() if r} == {k for k, r in library.items() if r} - {
        "provider"
    }


def test_nested_types_are_the_librarys_dataclasses() -> None:
    pairs = [
        (facades.PortBinding, service.PortBinding),
        (facades.VolumeMount, service.VolumeMount),
        (facades.BindMount, service.BindMount),
        (facades.ConfigFile, service.ConfigFile),
        (facades.Healthcheck, service.Healthcheck),
        (facades.RegistryAuth, RegistryAuth),
    ]
    for facade, library in pairs:
        assert _keys(facade) == _field_names(library), facade.__name__


def test_host_keys_are_the_spec_models_fields() -> None:
    for facade, model in (
        (facades.DropletHostArgs, DropletHostSpec),
        (facades.HcloudHostArgs, HcloudHostSpec),
    ):
        keys = {k: r for k, r in _keys(facade).items() if k not in facades.SERVER_KEYS}
        spec = {name: f.is_required() for name, f in model.model_fields.items() if name != "kind"}
        assert {camel_case(k): r for k, r in keys.items()} == spec, facade.__name__


def test_every_input_type_is_one_the_schema_can_express() -> None:
    """No Union (other than Input and Optional) and no Any: the analyzer would refuse them or
    fall back to ``Any``."""
    for component in facades.COMPONENTS:
        args = component.__init__.__annotations__["args"]
        for key, kind in args.__annotations__.items():
            assert "Any" not in repr(kind), f"{component.__name__}.{key}"
            if get_origin(kind) is not None:
                assert all(a is not Any for a in get_args(kind)), f"{component.__name__}.{key}"


def _container(program: Any) -> dict[str, Any]:
    run = run_program(program, project="p", stack="s", config={})
    assert run.error is None, run.error
    (container,) = [r for r in run.resources if r.type == "docker:index/container:Container"]
    inputs: dict[str, Any] = container.inputs
    return inputs


def test_the_facade_declares_what_the_library_declares() -> None:
    inputs: dict[str, Any] = {
        "image": "redis:7.4.2",
        "docker_host": "ssh://app",
        "networks": {"app": "app"},
        "ports": [{"protocol": "tcp", "start": 6379, "end": 6380, "address": "10.0.0.2"}],
        "healthcheck": {"test": ["CMD", "redis-cli", "ping"], "retries": 3},
        "memory_mb": 256,
        "policy_exceptions": {"docker-container-healthcheck": "a reason"},
    }

    def through_facade() -> None:
        facades.ContainerService("cache", inputs)  # type: ignore[arg-type]

    def library() -> None:
        engine = docker.Provider("engine", host="ssh://app")
        service.ContainerService(
            "cache",
            service.ContainerServiceArgs(
                image="redis:7.4.2",
                provider=engine,
                networks={"app": "app"},
                ports=[service.PortBinding("tcp", 6379, 6380, "10.0.0.2")],
                healthcheck=service.Healthcheck(test=["CMD", "redis-cli", "ping"], retries=3),
                memory_mb=256,
                policy_exceptions={"docker-container-healthcheck": "a reason"},
            ),
            pulumi.ResourceOptions(),
        )

    assert _container(through_facade) == _container(library)


def test_integers_sent_as_doubles_become_ints() -> None:
    converted = facades.integers(
        facades.ContainerServiceArgs,
        {"memory_mb": 1024.0, "cpus": 1.0, "ports": [{"start": 80.0, "end": 81.0}]},
    )
    assert converted == {"memory_mb": 1024, "cpus": 1.0, "ports": [{"start": 80, "end": 81}]}
    assert type(converted["cpus"]) is float
