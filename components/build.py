"""Build a whole stack from its plan: each host through the builder of its kind, then every
service on the Docker engine of its machine."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pulumi

from components import names
from components.databases import DATABASE_BUILDERS
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
    addresses = {name: host.public_address for name, host in hosts.items()}
    values: dict[str, pulumi.Output[str]] = {}
    for database in plan.databases.values():
        values.update(DATABASE_BUILDERS[database.kind](database, addresses))
    services: dict[str, ContainerService] = {}
    # Owners of borrowed volumes first: a borrower's container waits for the owner's volume
    # (else Docker would create it unlabelled when mounting, before the owner declares it).
    for name in sorted(plan.services, key=lambda n: _borrows(plan, n)):
        service = plan.services[name]
        host = hosts[service.host]
        args = container_service_args(
            service, host.engines[service.machine], host.public_address, context.secret, values
        )
        borrowed = [
            services[volume.owner].volumes[volume.name]
            for volume in service.volumes
            if volume.owner is not None
        ]
        args = dataclasses.replace(args, after=[*args.after, *borrowed])
        services[name] = ContainerService(name, args)
    if plan.npm is not None:
        _npm_routes(plan, hosts, services, context)
    _backups(plan, context, hosts, services)
    return BuiltStack(hosts=hosts, services={name: services[name] for name in plan.services})


def _borrows(plan: StackPlan, name: str) -> bool:
    """Whether the service mounts another's volume (the spec refuses an owner that borrows,
    so owners sort first)."""
    return any(volume.owner is not None for volume in plan.services[name].volumes)


def _npm_routes(
    plan: StackPlan,
    hosts: dict[str, BuiltHost],
    services: dict[str, ContainerService],
    context: HostContext,
) -> None:
    """NPM's objects, over the SSH path of its engine, once its container is healthy."""
    from components.npm.routes import NpmRoutes, NpmRoutesArgs  # noqa: PLC0415

    npm = plan.npm
    assert npm is not None
    engine = hosts[npm.host].engines[npm.machine]
    NpmRoutes(
        names.child(npm.service, names.NPM_ROUTES),
        NpmRoutesArgs(plan=npm, api=engine.ssh_route, secret=context.secret),
        opts=pulumi.ResourceOptions(depends_on=[services[npm.service]]),
    )


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
