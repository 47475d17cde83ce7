"""ContainerServiceArgs for one service of the spec: the only place spec meets ContainerService."""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from components.container_service import (
    BindMount,
    ContainerServiceArgs,
    Healthcheck,
    PortBinding,
    VolumeMount,
)
from components.derive import listen_ports, published_ports
from components.derive.traefik import traefik_labels
from components.docker_engine import DockerEngine
from components.render.livekit import LiveKitSettings, livekit_yaml
from components.spec import ForwardExpose, PlatformSpec, SecretRef, ServiceSpec

LISTEN_LABEL = "selfhosted.listen"
SecretReader = Callable[[str], pulumi.Output[str]]


def container_service_args(
    spec: PlatformSpec,
    name: str,
    engine: DockerEngine,
    public_address: pulumi.Input[str],
    secret: SecretReader,
) -> ContainerServiceArgs:
    """``public_address`` is the address of the service's host: where forwards arrive."""
    service = spec.services[name]
    secret_env = {
        key: secret(value.secret)
        for key, value in service.env.items()
        if isinstance(value, SecretRef)
    }
    if service.livekit is not None:
        secret_env["LIVEKIT_CONFIG"] = _livekit_config(service, public_address, secret)
    ports = [
        PortBinding(
            protocol=item.protocol,
            start=item.ports.start,
            end=item.ports.end,
            address=str(item.address) if item.address is not None else public_address,
        )
        for item in published_ports(spec, name)
    ]
    listen = ",".join(f"{protocol}/{ports}" for protocol, ports in listen_ports(spec, name))
    labels = {**traefik_labels(spec, name), **({LISTEN_LABEL: listen} if listen else {})}
    return ContainerServiceArgs(
        image=service.image,
        provider=engine.provider,
        # Names known from the spec, so no registration waits on another's outputs; the
        # networks still come first (``after``).
        networks={key: _docker_name(spec, key) for key in service.networks},
        host_network=service.networkMode == "host",
        command=service.command,
        env={key: value for key, value in service.env.items() if isinstance(value, str)},
        secret_env=secret_env,
        ports=ports,
        volumes=[
            VolumeMount(volume=volume.name, path=volume.path, read_only=volume.readOnly)
            for volume in service.volumes
        ],
        binds=[
            BindMount(host_path=bind.hostPath, path=bind.path, read_only=bind.readOnly)
            for bind in service.binds
        ],
        healthcheck=(
            Healthcheck(
                test=service.healthcheck.test,
                interval_seconds=service.healthcheck.intervalSeconds,
                timeout_seconds=service.healthcheck.timeoutSeconds,
                retries=service.healthcheck.retries,
                start_period_seconds=service.healthcheck.startPeriodSeconds,
            )
            if service.healthcheck is not None
            else None
        ),
        memory_mb=service.resources.memoryMb,
        cpus=service.resources.cpus,
        pids=service.resources.pids,
        cap_add=service.capAdd,
        user=service.user,
        stateful=service.stateful,
        labels=labels,
        policy_exceptions=service.policyExceptions,
        after=[engine.networks[key] for key in service.networks],
    )


def _docker_name(spec: PlatformSpec, network: str) -> str:
    return spec.networks[network].dockerName or network


def _livekit_config(
    service: ServiceSpec, public_address: pulumi.Input[str], secret: SecretReader
) -> pulumi.Output[str]:
    """livekit.yaml for LIVEKIT_CONFIG (livekit-server reads its config body from it): the
    media ports are the service's forwards, announced on the host's public address."""
    livekit = service.livekit
    assert livekit is not None
    forwards = [e for e in service.expose if isinstance(e, ForwardExpose)]
    udp = next(e.ports for e in forwards if e.protocol == "udp")
    tcp = next(e.ports.start for e in forwards if e.protocol == "tcp")
    text = pulumi.Output.all(
        address=public_address,
        api_key=secret(livekit.apiKey.secret),
        api_secret=secret(livekit.apiSecret.secret),
        redis_password=secret(livekit.redisPassword.secret),
    ).apply(
        lambda values: livekit_yaml(
            LiveKitSettings(
                node_ip=values["address"],
                udp_port_start=udp.start,
                udp_port_end=udp.end,
                tcp_port=tcp,
                api_keys={values["api_key"]: values["api_secret"]},
                redis_address=livekit.redisAddress,
                redis_password=values["redis_password"],
                port=livekit.httpPort,
            )
        )
    )
    return pulumi.Output.secret(text)
