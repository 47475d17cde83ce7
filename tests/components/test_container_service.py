"""ContainerService under mocks: secure defaults one by one, and how a replacement happens."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.docker.container_service import (
    BindMount,
    ContainerService,
    ContainerServiceArgs,
    Healthcheck,
    PortBinding,
    VolumeMount,
)
from components.plan import RecordedResource, run_program
from components.plan.recording import SECRET_SIG_KEY


def _record(**overrides: Any) -> dict[str, RecordedResource]:
    def program() -> None:
        provider = docker.Provider("engine", host="ssh://engine")
        network = docker.Network("app", name="app", opts=pulumi.ResourceOptions(provider=provider))
        args: dict[str, Any] = {
            "image": "ghcr.io/example/backend:1.0.0",
            "provider": provider,
            "networks": {"app": network.name},
            "healthcheck": Healthcheck(test=["CMD", "true"]),
        }
        args.update(overrides)
        ContainerService("backend", ContainerServiceArgs(**args))

    run = run_program(program, project="test", stack="test", config={})
    if run.error is not None:
        raise run.error
    return {r.name: r for r in run.resources}


def _container(**overrides: Any) -> dict[str, Any]:
    return _record(**overrides)["backend-container"].inputs


def test_runs_the_pinned_reference_after_pulling_it() -> None:
    resources = _record()
    image, container = resources["backend-image"], resources["backend-container"]
    assert image.inputs["name"] == "ghcr.io/example/backend:1.0.0"
    assert image.inputs["keepLocally"] is True
    assert container.inputs["image"] == "ghcr.io/example/backend:1.0.0"
    assert image.urn in container.dependencies
    assert container.provider_urn == resources["engine"].urn


def test_restarts_and_waits_for_health() -> None:
    inputs = _container(
        healthcheck=Healthcheck(
            test=["CMD", "wget", "-qO-", "http://127.0.0.1/"],
            interval_seconds=10,
            timeout_seconds=3,
            retries=4,
            start_period_seconds=20,
        )
    )
    assert inputs["restart"] == "unless-stopped"
    assert inputs["healthcheck"] == {
        "tests": ["CMD", "wget", "-qO-", "http://127.0.0.1/"],
        "interval": "10s",
        "timeout": "3s",
        "retries": 4,
        "startPeriod": "20s",
    }
    assert inputs["wait"] is True
    assert inputs["waitTimeout"] == 20 + (10 + 3) * 5


def test_without_a_healthcheck_nothing_waits() -> None:
    inputs = _container(healthcheck=None)
    assert "healthcheck" not in inputs
    assert inputs["wait"] is False


def test_limits_memory_cpu_and_processes() -> None:
    inputs = _container(memory_mb=768, cpus=1.5, pids=300)
    assert inputs["memory"] == 768
    assert inputs["memorySwap"] == 768
    assert inputs["cpus"] == "1.5"
    assert inputs["ulimits"] == [{"name": "nproc", "soft": 300, "hard": 300}]


def test_no_new_privileges_and_every_capability_dropped() -> None:
    inputs = _container(cap_add=["CHOWN", "SETUID"])
    assert inputs["securityOpts"] == ["no-new-privileges:true"]
    assert inputs["capabilities"] == {"drops": ["ALL"], "adds": ["CHOWN", "SETUID"]}
    assert "privileged" not in inputs


def test_logs_rotate() -> None:
    inputs = _container()
    assert inputs["logDriver"] == "json-file"
    assert inputs["logOpts"] == {"max-size": "10m", "max-file": "5"}


def test_secret_environment_stays_secret_and_plain_stays_plain() -> None:
    inputs = _container(env={"MODE": "production"}, secret_env={"DB_PASSWORD": "hunter2"})
    envs = inputs["envs"]
    assert envs[0] == "MODE=production"
    assert isinstance(envs[1], dict)
    assert envs[1][SECRET_SIG_KEY]
    assert envs[1]["value"] == "DB_PASSWORD=hunter2"


def test_labels_name_the_service_and_each_declared_exception() -> None:
    inputs = _container(
        labels={"traefik.enable": "true"},
        policy_exceptions={"docker-container-no-docker-socket": "reads labels,\n  read-only"},
    )
    assert inputs["labels"] == [
        {
            "label": "selfhosted.policy.except.docker-container-no-docker-socket",
            "value": "reads labels, read-only",
        },
        {"label": "selfhosted.service", "value": "backend"},
        {"label": "traefik.enable", "value": "true"},
    ]


def test_joins_its_networks_by_alias() -> None:
    inputs = _container()
    # No network mode: an own network named there would be joined without its aliases.
    assert "networkMode" not in inputs
    assert inputs["networksAdvanced"] == [{"name": "app", "aliases": ["backend"]}]


def test_host_network_joins_no_network() -> None:
    inputs = _container(host_network=True, networks={})
    assert inputs["networkMode"] == "host"
    assert inputs.get("networksAdvanced", []) == []


def test_ports_are_published_on_their_explicit_address_one_binding_per_port() -> None:
    inputs = _container(
        ports=[
            PortBinding("tcp", 8000, 8000, "10.0.0.13"),
            PortBinding("udp", 50000, 50002, "203.0.113.10"),
        ]
    )
    assert inputs["ports"] == [
        {"internal": 8000, "external": 8000, "ip": "10.0.0.13", "protocol": "tcp"},
        {"internal": 50000, "external": 50000, "ip": "203.0.113.10", "protocol": "udp"},
        {"internal": 50001, "external": 50001, "ip": "203.0.113.10", "protocol": "udp"},
        {"internal": 50002, "external": 50002, "ip": "203.0.113.10", "protocol": "udp"},
    ]


def test_volumes_are_protected_and_mounted_by_name() -> None:
    resources = _record(
        stateful=True,
        volumes=[VolumeMount("backend-data", "/data")],
        binds=[BindMount("/var/run/docker.sock", "/var/run/docker.sock")],
    )
    volume = resources["backend-backend-data"]
    assert volume.type == "docker:index/volume:Volume"
    assert volume.protect is True
    assert volume.inputs["name"] == "backend-data"
    assert resources["backend-container"].inputs["volumes"] == [
        {"volumeName": "backend-data", "containerPath": "/data", "readOnly": False},
        {
            "hostPath": "/var/run/docker.sock",
            "containerPath": "/var/run/docker.sock",
            "readOnly": True,
        },
    ]


def test_a_stateless_service_is_replaced_new_first() -> None:
    # No fixed name and no published port: the engine can run the new container (waited healthy)
    # next to the old one, which goes only then.
    container = _record()["backend-container"]
    assert "name" not in container.inputs
    assert container.delete_before_replace is False
    assert container.inputs["wait"] is True


def test_a_stateful_service_is_replaced_old_first() -> None:
    container = _record(stateful=True)["backend-container"]
    assert container.inputs["name"] == "backend"
    assert container.delete_before_replace is True


def test_a_published_port_or_the_host_network_means_old_first() -> None:
    published = _record(ports=[PortBinding("tcp", 80, 80, "10.0.0.2")])["backend-container"]
    assert published.delete_before_replace is True
    assert published.inputs["name"] == "backend"
    host = _record(host_network=True, networks={})["backend-container"]
    assert host.delete_before_replace is True


def test_ports_are_sent_by_internal_port_as_the_provider_reads_them() -> None:
    # flattenContainerPorts (tests/provider_facts/docker.py): by port number, protocol aside.
    inputs = _container(
        ports=[
            PortBinding("udp", 50000, 50001, "203.0.113.10"),
            PortBinding("tcp", 7881, 7881, "203.0.113.10"),
        ]
    )
    assert [(p["internal"], p["protocol"]) for p in inputs["ports"]] == [
        (7881, "tcp"),
        (50000, "udp"),
        (50001, "udp"),
    ]


def test_durations_of_a_minute_or_more_are_written_as_go_reads_them_back() -> None:
    check = Healthcheck(
        test=["CMD", "true"],
        interval_seconds=60,
        timeout_seconds=5,
        retries=3,
        start_period_seconds=3600,
    )
    inputs = _container(healthcheck=check)
    assert inputs["healthcheck"]["interval"] == "1m0s"
    assert inputs["healthcheck"]["timeout"] == "5s"
    assert inputs["healthcheck"]["startPeriod"] == "1h0m0s"


def test_cpus_are_written_as_the_provider_reads_them_back() -> None:
    assert _container(cpus=10.0)["cpus"] == "10."
    assert _container(cpus=0.5)["cpus"] == "0.5"
    assert _container(cpus=2.0)["cpus"] == "2.0"


def test_a_healthcheck_change_replaces_the_container() -> None:
    container = _record()["backend-container"]
    assert container.replace_on_changes == ["healthcheck"]


def test_a_stop_waits_the_grace_after_the_clean_signal() -> None:
    inputs = _container(stateful=True, stop_signal="SIGINT", stop_grace_seconds=30)
    assert inputs["stopSignal"] == "SIGINT"
    assert inputs["stopTimeout"] == 30
    assert inputs["destroyGraceSeconds"] == 30


def test_by_default_a_stop_waits_dockers_ten_seconds_after_the_images_signal() -> None:
    inputs = _container()
    assert "stopSignal" not in inputs
    assert inputs["stopTimeout"] == 10
    assert inputs["destroyGraceSeconds"] == 10
