"""The StackPlan: everything the program declares, derived once from the spec by pure code.

``stack_plan(spec)`` runs every derivation a single time (topology, exposures, routes, edge
openings, the connectivity matrix, the policy config, config paths, resource names) and hands
each component its slice as plain typed data: a host gets its ``HostPlan``, a container its
``ServicePlan``; no component reads the whole ``PlatformSpec``. Values that exist only at apply
time (secrets, a cloud server's address) are named here, as ``SecretPath`` and ``Rendered``,
and resolved by the build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from components import names
from components.apps import app_of, sidecars_of
from components.apps.backup import BACKUP_RULE, MachineBackups, backup_jobs, skipped
from components.proxies import proxy_kind
from components.proxies.npm import NpmPlan, npm_plan
from components.spec import (
    GuestSpec,
    HealthcheckSpec,
    PlatformSpec,
    ProxmoxHostSpec,
    ServiceSpec,
    SpecError,
    config_path,
)
from components.spec.databases import DatabaseSpec
from components.spec.hosts import DockerHostSpec
from components.spec.images import parse_image, pull_address, registry_of
from components.spec.ports import PortRange
from components.spec.services import (
    STATEFUL_STOP_GRACE_SECONDS,
    STATELESS_STOP_GRACE_SECONDS,
    BindMountSpec,
    ResourcesSpec,
    VolumeMountSpec,
)
from components.values import AppContribution, FilePlan, SecretPath, SecretValue, Sidecar

from .exposure import (
    EdgeOpening,
    ProxyRoute,
    PublishedPort,
    edge_openings,
    listen_ports,
    proxy_routes,
    published_ports,
    stack_policy_config,
)
from .matrix import Matrix, connectivity
from .memory import memory_problems
from .monitoring import expanded, monitoring_plan
from .nat import NatPlan, nat_plan
from .topology import EngineNetwork, Topology, engine_networks, topology

# The label that tells which ports a service serves on its networks (the Docker test harness
# and readers of `docker inspect` use it).
LISTEN_LABEL = "selfhosted.listen"
LOOPBACK = IPv4Address("127.0.0.1")


@dataclass(frozen=True)
class RegistryPlan:
    """Credentials an engine's Docker provider pulls with: ``address`` is the key the
    provider's pull looks up (registry-1.docker.io for Docker Hub)."""

    address: str
    username: str
    password: SecretPath


@dataclass(frozen=True)
class EnginePlan:
    """A Docker engine: its component name, ssh alias, networks and services."""

    machine: str
    host: str
    name: str  # the DockerEngine component
    alias: str  # the ssh:// name in the generated ssh_config
    networks: tuple[EngineNetwork, ...]
    services: tuple[str, ...]
    # Only the registries its own images (services and sidecars) pull from.
    registries: tuple[RegistryPlan, ...] = ()


@dataclass(frozen=True)
class GuestPlan:
    name: str  # under platform:guests
    component: str  # the LxcService component
    spec: GuestSpec
    hostname: str
    engine: EnginePlan | None  # None when no service runs in the guest


@dataclass(frozen=True)
class ProxmoxHostPlan:
    name: str
    spec: ProxmoxHostSpec
    nat: NatPlan
    guests: tuple[GuestPlan, ...]
    admin_keys: tuple[str, ...]
    secrets: Mapping[str, str]  # key (apiToken, sshPrivateKey) -> dotted path
    # host:port of the host's own node exporter (platform:monitoring), on the NAT bridge.
    node_exporter: str | None = None

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def engines(self) -> tuple[EnginePlan, ...]:
        return tuple(g.engine for g in self.guests if g.engine is not None)


@dataclass(frozen=True)
class ServerHostPlan:
    """A host that runs its own Docker engine: a cloud server or an existing one."""

    name: str
    spec: DockerHostSpec
    openings: tuple[EdgeOpening, ...]
    engine: EnginePlan
    admin_keys: tuple[str, ...]
    secrets: Mapping[str, str]

    @property
    def kind(self) -> str:
        return str(getattr(self.spec, "kind"))  # noqa: B009 -- every concrete kind has one


HostPlan = ProxmoxHostPlan | ServerHostPlan


@dataclass(frozen=True)
class ServicePlan:
    """One container, as plain data: what ``ContainerServiceArgs`` is built from."""

    name: str
    machine: str
    host: str
    image: str
    command: tuple[str, ...] | None
    env: Mapping[str, str]
    secret_env: Mapping[str, SecretValue]
    files: tuple[FilePlan, ...]
    networks: Mapping[str, str]  # key under platform:networks -> Docker network name
    host_network: bool
    ports: tuple[PublishedPort, ...]  # address None: the host's public address
    volumes: tuple[VolumeMountSpec, ...]
    binds: tuple[BindMountSpec, ...]
    healthcheck: HealthcheckSpec | None
    resources: ResourcesSpec
    cap_add: tuple[str, ...]
    user: str | None
    stateful: bool
    labels: Mapping[str, str]
    policy_exceptions: Mapping[str, str]
    stop_signal: str | None = None  # None: the image's own STOPSIGNAL
    stop_grace_seconds: int = STATELESS_STOP_GRACE_SECONDS
    # Labels whose value is known only at apply time (a route's basic-auth users): secrets.
    secret_labels: Mapping[str, SecretValue] = field(default_factory=dict)
    entrypoint: tuple[str, ...] | None = None  # replaces the image's; None keeps it


@dataclass(frozen=True)
class DatabasePlan:
    """A managed database under platform:databases, and the hosts its firewall trusts: those
    whose services pool it (a pgBouncer naming it), by their public address."""

    name: str
    component: str
    spec: DatabaseSpec
    trusted_hosts: tuple[str, ...]

    @property
    def kind(self) -> str:
        return self.spec.kind


@dataclass(frozen=True)
class StackPlan:
    hosts: Mapping[str, HostPlan]
    services: Mapping[str, ServicePlan]
    routes: tuple[ProxyRoute, ...]
    openings: tuple[EdgeOpening, ...]
    matrix: Matrix
    policy_config: Mapping[str, object]
    config_paths: Mapping[str, str]  # resource name -> the config path it comes from
    services_output: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    npm: NpmPlan | None = None  # the proxy is Nginx Proxy Manager: configured through its API
    databases: Mapping[str, DatabasePlan] = field(default_factory=dict)
    # machine -> its backup jobs (components/apps/backup.py); machines without jobs left out
    backups: Mapping[str, MachineBackups] = field(default_factory=dict)


def stack_plan(spec: PlatformSpec) -> StackPlan:
    user_spec = spec
    monitoring = monitoring_plan(spec)
    # The monitoring set and its exporters are services like the stack's own from here on.
    spec = expanded(spec, monitoring)
    added = monitoring.contributions if monitoring is not None else {}
    placement = topology(spec)
    routes = proxy_routes(spec)
    openings = edge_openings(spec)
    engines = _engines(spec, placement)
    hosts: dict[str, HostPlan] = {}
    for name, host in spec.hosts.items():
        secrets = {key: f"{name}.{key}" for key in type(host).SECRETS}
        if isinstance(host, ProxmoxHostSpec):
            hosts[name] = ProxmoxHostPlan(
                name=name,
                spec=host,
                nat=nat_plan(spec, name, openings),
                guests=tuple(
                    GuestPlan(
                        name=guest_name,
                        component=names.guest(name, guest_name),
                        spec=guest,
                        hostname=spec.hostname_of(guest_name),
                        engine=engines.get(guest_name),
                    )
                    for guest_name, guest in spec.guests_of(name).items()
                ),
                admin_keys=tuple(spec.adminSshKeys),
                secrets=secrets,
                node_exporter=monitoring.host_exporters.get(name) if monitoring else None,
            )
        else:
            hosts[name] = ServerHostPlan(
                name=name,
                spec=host,
                openings=tuple(o for o in openings if o.host == name),
                engine=engines.get(name) or _idle_engine(spec, name),
                admin_keys=tuple(spec.adminSshKeys),
                secrets=secrets,
            )
    services = {
        name: _service_plan(spec, name, service, routes, placement, added=added.get(name))
        for name, service in spec.services.items()
    }
    sidecar_paths: dict[str, str] = {}
    if monitoring is not None:
        sidecar_paths.update({n: config_path(loc) for n, loc in monitoring.origins.items()})
    for name, service in spec.services.items():
        for sidecar in sidecars_of(name, service):
            for engine in engines.values():
                plan = _sidecar_plan(sidecar, engine)
                services[plan.name] = plan
                sidecar_paths[plan.name] = config_path(("services", name, "app"))
    limits = [(s.name, s.machine, s.resources.memoryMb) for s in services.values()]
    problems = list(
        memory_problems(user_spec, limits, monitoring.machine if monitoring is not None else None)
    )
    if problems:
        raise SpecError(problems)
    backups = backup_jobs(spec)
    config_paths = names.config_paths(user_spec, sidecar_paths, spec)
    for machine, machine_plan in backups.items():
        config_paths[names.machine_backups(machine)] = config_path(("backups",))
        for job in machine_plan.jobs:
            config_paths[names.backup_job(job.service)] = config_path(spec.service_loc(job.service))
    return StackPlan(
        hosts=hosts,
        services=services,
        routes=routes,
        openings=openings,
        matrix=connectivity(spec),
        policy_config=stack_policy_config(spec, openings),
        config_paths=dict(sorted(config_paths.items())),
        services_output={
            name: {"machine": service.machine, "image": service.image}
            for name, service in services.items()
        },
        npm=npm_plan(spec, routes),
        databases=_databases(spec, placement),
        backups=backups,
    )


def _databases(spec: PlatformSpec, placement: Topology) -> dict[str, DatabasePlan]:
    from components.apps import pgbouncer  # noqa: PLC0415 -- the one app that reaches them

    users: dict[str, set[str]] = {name: set() for name in spec.databases}
    for name, service in spec.services.items():
        if isinstance(service.app, pgbouncer.Spec):
            for database in service.app.managed_databases():
                users[database].add(placement.engine_of(name).host)
    return {
        name: DatabasePlan(
            name=name,
            component=names.database(name),
            spec=database,
            trusted_hosts=tuple(sorted(users[name])),
        )
        for name, database in spec.databases.items()
    }


def _engines(spec: PlatformSpec, placement: Topology) -> dict[str, EnginePlan]:
    found = {}
    for engine in placement.engines:
        if engine.in_guest:
            name = names.guest_engine(engine.host, engine.machine)
            alias = names.ssh_alias_of_guest(engine.host, engine.machine)
        else:
            name, alias = names.server_engine(engine.machine), engine.machine
        found[engine.machine] = EnginePlan(
            machine=engine.machine,
            host=engine.host,
            name=name,
            alias=alias,
            networks=engine_networks(spec, engine.machine),
            services=engine.services,
            registries=_registries(spec, engine.services),
        )
    return found


def _registries(spec: PlatformSpec, services: tuple[str, ...]) -> tuple[RegistryPlan, ...]:
    sidecar_images = [
        sidecar.image
        for name, service in spec.services.items()
        for sidecar in sidecars_of(name, service)
    ]
    pulled = {registry_of(spec.services[name].image) for name in services} | {
        registry_of(image) for image in sidecar_images
    }
    return tuple(
        RegistryPlan(
            address=pull_address(host),
            username=registry.username,
            password=SecretPath(registry.password.secret),
        )
        for host, registry in sorted(spec.registries.items())
        if host in pulled
    )


def _idle_engine(spec: PlatformSpec, host: str) -> EnginePlan:
    """A server with no service still gets its engine (ready for the next deploy)."""
    return EnginePlan(
        machine=host,
        host=host,
        name=names.server_engine(host),
        alias=host,
        networks=engine_networks(spec, host),
        services=(),
    )


def _service_plan(
    spec: PlatformSpec,
    name: str,
    service: ServiceSpec,
    routes: tuple[ProxyRoute, ...],
    placement: Topology,
    *,
    added: AppContribution | None = None,
) -> ServicePlan:
    secret_env: dict[str, SecretValue] = {
        key: SecretPath(value.secret)
        for key, value in service.env.items()
        if not isinstance(value, str)
    }
    env = {key: value for key, value in service.env.items() if isinstance(value, str)}
    files: tuple[FilePlan, ...] = ()
    ports = published_ports(spec, name)
    app = app_of(service)
    if app is not None:
        contributed = app.contribute(name, service)
        env.update(contributed.env)
        secret_env.update(contributed.secret_env)
        files = contributed.files
    if added is not None:  # what the stack adds to a service it declares itself (monitoring)
        env.update(added.env)
        secret_env.update(added.secret_env)
        files += added.files
    listen = ",".join(f"{protocol}/{ports}" for protocol, ports in listen_ports(spec, name))
    proxy = spec.proxy
    labels: dict[str, str] = {}
    secret_labels: dict[str, SecretValue] = {}
    if proxy is not None:
        kind = proxy_kind(proxy)
        network = _docker_name(spec, proxy.network) if proxy.network is not None else None
        for key, value in kind.route_labels(proxy, name, routes, network).items():
            if isinstance(value, str):
                labels[key] = value
            else:
                secret_labels[key] = value
        if name == proxy.service:
            by_proxy = kind.contribute(proxy, service, network, routes)
            env.update(by_proxy.env)
            secret_env.update(by_proxy.secret_env)
            files += by_proxy.files
            ports += tuple(
                PublishedPort(
                    name,
                    item.protocol,
                    PortRange(start=item.port, end=item.port),
                    LOOPBACK,
                    config_path(("proxy",)),
                )
                for item in by_proxy.loopback_ports
            )
    if listen:
        labels[LISTEN_LABEL] = listen
    return ServicePlan(
        name=name,
        machine=service.machine,
        host=placement.engine_of(name).host,
        image=service.image,
        command=tuple(service.command) if service.command is not None else None,
        entrypoint=tuple(service.entrypoint) if service.entrypoint is not None else None,
        env=env,
        secret_env=secret_env,
        files=files,
        networks={key: _docker_name(spec, key) for key in service.networks},
        host_network=service.networkMode == "host",
        ports=ports,
        volumes=tuple(service.volumes),
        binds=tuple(service.binds),
        healthcheck=service.healthcheck,
        resources=service.resources,
        cap_add=tuple(service.capAdd),
        user=service.user,
        stateful=service.stateful,
        labels=labels,
        secret_labels=secret_labels,
        policy_exceptions=_policy_exceptions(spec, name, service),
        stop_signal=service.stopSignal or parse_image(service.image).stop_signal,
        stop_grace_seconds=service.stopGraceSeconds
        or (STATEFUL_STOP_GRACE_SECONDS if service.stateful else STATELESS_STOP_GRACE_SECONDS),
    )


def _policy_exceptions(spec: PlatformSpec, name: str, service: ServiceSpec) -> dict[str, str]:
    """The service's declared exceptions; a backup opt-out is one (its reason, in the label)."""
    found = dict(service.policyExceptions)
    reason = skipped(spec, name)
    if reason is not None:
        found.setdefault(BACKUP_RULE, f"platform:backups.services.{name}.skip: {reason}")
    return found


def _sidecar_plan(sidecar: Sidecar, engine: EnginePlan) -> ServicePlan:
    """One sidecar on one engine: ``<name>-<machine>``, on the engine's networks it names."""
    wanted = set(sidecar.networks)
    return ServicePlan(
        name=names.sidecar(sidecar.name, engine.machine),
        machine=engine.machine,
        host=engine.host,
        image=sidecar.image,
        command=sidecar.command,
        env={},
        secret_env={},
        files=sidecar.files,
        networks={n.key: n.docker_name for n in engine.networks if n.key in wanted},
        host_network=sidecar.host_network,
        ports=(),
        volumes=(),
        binds=tuple(
            BindMountSpec(hostPath=host_path, path=path, readOnly=True)
            for host_path, path in sidecar.binds
        ),
        healthcheck=(
            HealthcheckSpec(test=list(sidecar.healthcheck)) if sidecar.healthcheck else None
        ),
        resources=ResourcesSpec(memoryMb=sidecar.memory_mb, cpus=sidecar.cpus, pids=sidecar.pids),
        cap_add=sidecar.cap_add,
        user=sidecar.user,
        stateful=False,
        labels={},
        policy_exceptions=dict(sidecar.policy_exceptions),
    )


def _docker_name(spec: PlatformSpec, network: str) -> str:
    """The Docker name of a network under platform:networks (its key unless it sets one)."""
    return spec.networks[network].dockerName or network
