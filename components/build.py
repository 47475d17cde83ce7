"""Build a whole stack from its plan: each host through the builder of its kind, then every
service on the Docker engine of its machine."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import names
from components.databases import DATABASE_BUILDERS
from components.derive.plan import StackPlan
from components.docker.container_service import ContainerService
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
    services = {}
    for name, service in plan.services.items():
        host = hosts[service.host]
        services[name] = ContainerService(
            name,
            container_service_args(
                service,
                host.engines[service.machine],
                host.public_address,
                context.secret,
                values,
            ),
        )
    return BuiltStack(hosts=hosts, services=services)


def export_stack_outputs(plan: StackPlan, built: BuiltStack) -> None:
    pulumi.export(
        names.OUTPUT_PUBLIC_ADDRESSES,
        {name: host.public_address for name, host in built.hosts.items()},
    )
    pulumi.export(names.OUTPUT_SERVICES, dict(plan.services_output))
    pulumi.export(names.OUTPUT_CONFIG_PATHS, dict(plan.config_paths))
    pulumi.export(names.OUTPUT_POLICY_CONFIG, dict(plan.policy_config))
