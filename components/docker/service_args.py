"""ContainerServiceArgs from a ServicePlan: where the plan's apply-time values are resolved."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pulumi

from components.derive.plan import ServicePlan
from components.docker.container_service import (
    BindMount,
    ConfigFile,
    ContainerServiceArgs,
    Healthcheck,
    PortBinding,
    VolumeMount,
)
from components.docker.engine import DockerEngine
from components.values import PUBLIC_ADDRESS, Rendered, SecretPath, SecretValue

SecretReader = Callable[[str], pulumi.Output[str]]
# Values other components of the stack produce, by name (``names.database_value``).
StackValues = Mapping[str, pulumi.Output[str]]


def container_service_args(
    plan: ServicePlan,
    engine: DockerEngine,
    public_address: pulumi.Input[str],
    secret: SecretReader,
    values: StackValues | None = None,
) -> ContainerServiceArgs:
    """``public_address`` is the address of the service's host: where forwards arrive;
    ``values`` what the ``Rendered`` files and env of the service read from other components."""
    check = plan.healthcheck

    def apply_time(value: SecretValue) -> pulumi.Output[str]:
        return resolve(value, public_address, secret, values or {})

    return ContainerServiceArgs(
        image=plan.image,
        provider=engine.provider,
        # Names known from the plan, so no registration waits on another's outputs; the
        # networks still come first (``after``).
        networks=dict(plan.networks),
        host_network=plan.host_network,
        command=plan.command,
        entrypoint=plan.entrypoint,
        env=dict(plan.env),
        secret_env={key: apply_time(value) for key, value in plan.secret_env.items()},
        ports=[
            PortBinding(
                protocol=item.protocol,
                start=item.ports.start,
                end=item.ports.end,
                address=str(item.address) if item.address is not None else public_address,
            )
            for item in plan.ports
        ],
        volumes=[
            VolumeMount(
                volume=volume.name,
                path=volume.path,
                read_only=volume.readOnly,
                owned=volume.owner is None,
            )
            for volume in plan.volumes
        ],
        binds=[
            BindMount(host_path=bind.hostPath, path=bind.path, read_only=bind.readOnly)
            for bind in plan.binds
        ],
        healthcheck=(
            Healthcheck(
                test=check.test,
                interval_seconds=check.intervalSeconds,
                timeout_seconds=check.timeoutSeconds,
                retries=check.retries,
                start_period_seconds=check.startPeriodSeconds,
            )
            if check is not None
            else None
        ),
        memory_mb=plan.resources.memoryMb,
        cpus=plan.resources.cpus,
        pids=plan.resources.pids,
        cap_add=plan.cap_add,
        user=plan.user,
        stateful=plan.stateful,
        stop_signal=plan.stop_signal,
        stop_grace_seconds=plan.stop_grace_seconds,
        labels=plan.labels,
        secret_labels={key: apply_time(value) for key, value in plan.secret_labels.items()},
        policy_exceptions=plan.policy_exceptions,
        files=[
            ConfigFile(
                path=file.path,
                content=(
                    file.content if isinstance(file.content, str) else apply_time(file.content)
                ),
                secret=not isinstance(file.content, str),
                mode=file.mode,
                owner=file.owner,
                group=file.group,
            )
            for file in plan.files
        ],
        after=[engine.networks[key] for key in plan.networks],
    )


def resolve(
    value: SecretValue,
    public_address: pulumi.Input[str],
    secret: SecretReader,
    values: StackValues,
) -> pulumi.Output[str]:
    """A plan's apply-time value as a Pulumi secret."""
    if isinstance(value, SecretPath):
        return secret(value.path)
    return _rendered(value, public_address, secret, values)


def _rendered(
    value: Rendered, public_address: pulumi.Input[str], secret: SecretReader, values: StackValues
) -> pulumi.Output[str]:
    inputs: dict[str, pulumi.Input[str]] = {
        argument: secret(path) for argument, path in value.secrets.items()
    }
    missing = sorted(name for name in value.outputs.values() if name not in values)
    if missing:
        raise ValueError(f"no component of the stack produces {', '.join(missing)}")
    inputs.update({argument: values[name] for argument, name in value.outputs.items()})
    if value.public_address:
        inputs[PUBLIC_ADDRESS] = public_address

    def render(values: Mapping[str, str]) -> str:
        return value.render(values)

    return pulumi.Output.secret(pulumi.Output.all(**inputs).apply(render))
