"""Build a whole stack from its plan: each host through the builder of its kind, then every
service on the Docker engine of its machine."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import names
from components.derive.plan import StackPlan
from components.docker.backup_job import BackupJob, BackupJobArgs
from components.docker.container_service import ContainerService
from components.docker.machine_backups import MachineBackups, MachineBackupsArgs
from components.docker.service_args import container_service_args
from components.hosts import HOST_BUILDERS, BuiltHost, HostContext


@dataclass
class BuiltStack:
    hosts: dict[str, BuiltHost]
    services: dict[str, ContainerService]


def build_stack(plan: StackPlan, context: HostContext) -> BuiltStack:
    hosts = {name: HOST_BUILDERS[host.kind](host, context) for name, host in plan.hosts.items()}
    services = {}
    for name, service in plan.services.items():
        host = hosts[service.host]
        services[name] = ContainerService(
            name,
            container_service_args(
                service, host.engines[service.machine], host.public_address, context.secret
            ),
        )
    _backups(plan, context, hosts, services)
    return BuiltStack(hosts=hosts, services=services)


def _backups(
    plan: StackPlan,
    context: HostContext,
    hosts: dict[str, BuiltHost],
    services: dict[str, ContainerService],
) -> None:
    """Each machine's backup settings, then a job per stateful service, after its container."""
    for machine, machine_plan in plan.backups.items():
        engine = hosts[machine_plan.host].engines[machine]
        settings = MachineBackups(
            names.machine_backups(machine),
            MachineBackupsArgs(plan=machine_plan, engine=engine, secret=context.secret),
        )
        offsite = machine_plan.settings.offsite
        for job in machine_plan.jobs:
            container = services[job.service].container
            BackupJob(
                names.backup_job(job.service),
                BackupJobArgs(
                    job=job,
                    engine=engine,
                    container_urn=container.urn,
                    offsite=offsite.kind if offsite is not None else "",
                    schedule=machine_plan.settings.schedule,
                    after=(settings.install, container),
                ),
            )


def export_stack_outputs(plan: StackPlan, built: BuiltStack) -> None:
    pulumi.export(
        names.OUTPUT_PUBLIC_ADDRESSES,
        {name: host.public_address for name, host in built.hosts.items()},
    )
    pulumi.export(names.OUTPUT_SERVICES, dict(plan.services_output))
    pulumi.export(names.OUTPUT_CONFIG_PATHS, dict(plan.config_paths))
    pulumi.export(names.OUTPUT_POLICY_CONFIG, dict(plan.policy_config))
