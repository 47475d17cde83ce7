"""The components other Pulumi languages use, as the component provider serves them.

Each class here is a thin facade over one component of this library: its ``args`` is a TypedDict
of types Pulumi's schema can express (strings, numbers, booleans, lists, maps, nested
TypedDicts, ``pulumi.Input``), which ``pulumi.provider.experimental`` turns into the package
schema (schema names are the keys in camelCase), and its ``__init__`` converts those inputs into
the library's own args and declares the library's component as its one child. Nothing is
re-implemented and no default is restated: a key left out is left out of the library's args,
which keep their own defaults; a host's fields are validated by the spec's own model.

No ``from __future__ import annotations`` here: the schema is inferred from the annotations at
run time (``inspect.get_annotations``), which must be types, not strings.

Type tokens are ``selfhosted:index:<Class>`` (the provider host allows the ``index`` module
only); the library's component under each keeps its own token and child names
(``components/names.py``), so a stack built from YAML has the same resources, one level down.
"""

import os
from collections.abc import Awaitable, Mapping, Sequence
from ipaddress import IPv4Network
from typing import (
    Any,
    ForwardRef,
    NotRequired,
    TypedDict,
    Union,
    get_args,
    get_origin,
    is_typeddict,
)

import pulumi
import pulumi_docker as docker
from pulumi.provider.experimental.util import camel_case
from pydantic import BaseModel, ValidationError

from components import names
from components.derive import EdgeOpening
from components.derive.topology import EngineNetwork
from components.docker import container_service as service
from components.docker import engine as library_engine
from components.hosts.cloud.server import CloudServer, CloudServerArgs, ServerBootstrap
from components.hosts.connection import ssh_connection
from components.render.readiness import Readiness, readiness_command
from components.spec import CloudServerSpec, DropletHostSpec, HcloudHostSpec
from components.spec.ports import PortRange


class PortBinding(TypedDict):
    """Ports published on one address of the machine (never 0.0.0.0 by omission)."""

    protocol: str
    """tcp or udp."""
    start: int
    end: int
    """The last port of the range; equal to start for one port."""
    address: pulumi.Input[str]
    """The machine's address the ports are published on."""


class VolumeMount(TypedDict):
    """A named Docker volume (protected: it outlives the container)."""

    volume: str
    path: str
    read_only: NotRequired[bool]
    # False: another service's volume, declared by that service (mounted here read-only).
    owned: NotRequired[bool]


class BindMount(TypedDict):
    """A path of the machine mounted into the container (read-only unless said)."""

    host_path: str
    path: str
    read_only: NotRequired[bool]


class ConfigFile(TypedDict):
    """A file put into the container before it starts; a change replaces the container."""

    path: str
    content: pulumi.Input[str]
    secret: NotRequired[bool]
    """Send the content as a Pulumi secret."""
    mode: NotRequired[str]
    owner: NotRequired[str]
    group: NotRequired[str]


class Healthcheck(TypedDict):
    """The container's health check; the apply waits for it to pass."""

    test: list[str]
    interval_seconds: NotRequired[int]
    timeout_seconds: NotRequired[int]
    retries: NotRequired[int]
    start_period_seconds: NotRequired[int]


class ContainerServiceArgs(TypedDict):
    """One container on an engine, with the library's secure defaults."""

    image: str
    """A pinned image reference (a version tag or a digest)."""
    docker_host: pulumi.Input[str]
    """The engine's docker host: a DockerEngine's or a host's dockerHost output."""
    ssh_opts: NotRequired[pulumi.Input[list[str]]]
    """The engine's ssh options: a DockerEngine's or a host's sshOpts output."""
    networks: NotRequired[dict[str, pulumi.Input[str]]]
    """Networks to join: key -> Docker network name."""
    host_network: NotRequired[bool]
    command: NotRequired[list[str]]
    env: NotRequired[dict[str, pulumi.Input[str]]]
    secret_env: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment values sent as Pulumi secrets."""
    ports: NotRequired[list[PortBinding]]
    volumes: NotRequired[list[VolumeMount]]
    binds: NotRequired[list[BindMount]]
    files: NotRequired[list[ConfigFile]]
    healthcheck: NotRequired[Healthcheck]
    memory_mb: NotRequired[int]
    cpus: NotRequired[float]
    pids: NotRequired[int]
    cap_add: NotRequired[list[str]]
    """Capabilities added back after every one is dropped."""
    user: NotRequired[str]
    stateful: NotRequired[bool]
    """Replace the container old-first and keep its volumes (a database)."""
    labels: NotRequired[dict[str, str]]
    policy_exceptions: NotRequired[dict[str, str]]
    """Policy rule -> the reason it does not apply (a label the policy pack reads)."""
    aliases: NotRequired[list[str]]
    stop_grace_seconds: NotRequired[int]
    stop_signal: NotRequired[str]


# The facade keys that are not ContainerServiceArgs fields: they make its docker provider.
_ENGINE_KEYS = ("docker_host", "ssh_opts")
# Nested inputs -> the library's dataclass each item becomes.
_NESTED: Mapping[str, type[Any]] = {
    "ports": service.PortBinding,
    "volumes": service.VolumeMount,
    "binds": service.BindMount,
    "files": service.ConfigFile,
}


def integers(kind: Any, value: Any) -> Any:
    """``value`` with every number the annotations of ``kind`` (a TypedDict) declare ``int``
    made an int: the wire carries numbers as doubles, and pulumi 3.272's component provider
    converts an integer and then stores the double anyway
    (pulumi/provider/experimental/component.py:279, ``map_input_properties``)."""
    kind = _unwrapped(kind)
    if isinstance(value, Mapping) and is_typeddict(kind):
        hints = kind.__annotations__  # a TypedDict holds its bases' keys too
        return {k: integers(hints.get(k), v) for k, v in value.items()}
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if get_origin(kind) is list and isinstance(value, list):
        (item,) = get_args(kind)
        return [integers(item, v) for v in value]
    return value


def _unwrapped(kind: Any) -> Any:
    """The plain type of ``pulumi.Input[T]`` or ``NotRequired[T]``."""
    if get_origin(kind) is NotRequired:
        kind = get_args(kind)[0]
    if get_origin(kind) is Union:
        plain = [a for a in get_args(kind) if get_origin(a) not in (Awaitable, pulumi.Output)]
        plain = [a for a in plain if not isinstance(a, ForwardRef)]
        return plain[0] if len(plain) == 1 else kind
    return kind


def container_service_args(
    inputs: Mapping[str, Any], provider: docker.Provider
) -> service.ContainerServiceArgs:
    """The library's args from the facade's inputs: the same keys, nested items as dataclasses."""
    inputs = integers(ContainerServiceArgs, inputs)
    values: dict[str, Any] = {k: v for k, v in inputs.items() if k not in _ENGINE_KEYS}
    for key, kind in _NESTED.items():
        if key in values:
            values[key] = tuple(kind(**item) for item in values[key])
    if "healthcheck" in values:
        values["healthcheck"] = service.Healthcheck(**values["healthcheck"])
    return service.ContainerServiceArgs(provider=provider, **values)


class ContainerService(pulumi.ComponentResource):
    """One service as a Docker container on any engine, with secure defaults (restart, health
    check, limits, no-new-privileges, every capability dropped, rotated logs, protected volumes,
    secrets as secrets)."""

    container_name: pulumi.Output[str]
    """The container's name on the engine."""

    def __init__(
        self, name: str, args: ContainerServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:index:ContainerService", name, None, opts)
        provider = docker.Provider(
            names.child(name, names.PROVIDER),
            host=args["docker_host"],
            ssh_opts=args.get("ssh_opts"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        inner = service.ContainerService(
            name, container_service_args(args, provider), pulumi.ResourceOptions(parent=self)
        )
        self.container_name = inner.container.name
        self.register_outputs({"containerName": self.container_name})


class Network(TypedDict):
    """A Docker network the engine creates."""

    name: str
    internal: NotRequired[bool]
    """No route out of the network (a database's)."""
    subnet: NotRequired[str]
    """An IPv4 subnet in CIDR form, or Docker's choice when left out."""


class RegistryAuth(TypedDict):
    """Credentials for one registry, by the host name the pull looks up."""

    address: str
    username: str
    password: pulumi.Input[str]


def _networks(networks: Sequence[Network]) -> tuple[EngineNetwork, ...]:
    return tuple(
        EngineNetwork(
            key=n["name"],
            docker_name=n["name"],
            internal=n.get("internal", False),
            subnet=IPv4Network(n["subnet"]) if "subnet" in n else None,
        )
        for n in networks
    )


def _registry_auth(entries: Sequence[RegistryAuth]) -> tuple[library_engine.RegistryAuth, ...]:
    return tuple(library_engine.RegistryAuth(**entry) for entry in entries)


def _place() -> tuple[str, str]:
    """Where the SSH access files go: the program's directory (the provider runs in it) and
    stack, as for this repository's program."""
    return os.getcwd(), pulumi.get_stack()


class DockerEngineArgs(TypedDict):
    """An existing Docker engine reached over SSH with a pinned host key."""

    hostname: pulumi.Input[str]
    """The machine's address or DNS name."""
    user: str
    """The login in the docker group."""
    host_key: pulumi.Input[str]
    """The machine's SSH host key (ssh-ed25519 AAAA...); any other is refused."""
    private_key: pulumi.Input[str]
    """The private key (OpenSSH) of the login; kept a secret."""
    port: NotRequired[int]
    wait_for_cloud_init: NotRequired[bool]
    """Wait for cloud-init to finish before docker info (a machine just created); false when
    left out."""
    networks: NotRequired[list[Network]]
    registry_auth: NotRequired[list[RegistryAuth]]


class DockerEngine(pulumi.ComponentResource):
    """A Docker engine: a readiness command (docker info), the SSH access files with the pinned
    host key, a docker provider that waits for both, and the engine's networks."""

    docker_host: pulumi.Output[str]
    """The docker host (ssh://...), known once the engine answered."""
    ssh_opts: pulumi.Output[list[str]]
    """The ssh options that reach it (the generated ssh_config)."""

    def __init__(
        self, name: str, args: DockerEngineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:index:DockerEngine", name, None, opts)
        args = integers(DockerEngineArgs, args)
        project_dir, stack = _place()
        # The port only when given: the library's default stays the one default.
        port: dict[str, Any] = {"port": args["port"]} if "port" in args else {}
        connection = ssh_connection(
            host=args["hostname"],
            user=args["user"],
            private_key=args["private_key"],
            host_key=args["host_key"],
            **port,
        )
        # The library has no default here; an engine given to the provider is usually up.
        readiness = Readiness(wait_for_cloud_init=args.get("wait_for_cloud_init", False))
        engine = library_engine.DockerEngine(
            name,
            library_engine.DockerEngineArgs(
                alias=name,
                hostname=args["hostname"],
                user=args["user"],
                host_key=args["host_key"],
                private_key=args["private_key"],
                readiness_connection=connection,
                readiness_script=readiness_command(readiness),
                project_dir=project_dir,
                stack=stack,
                networks=_networks(args.get("networks", [])),
                registry_auth=_registry_auth(args.get("registry_auth", [])),
                **port,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.docker_host = engine.host
        self.ssh_opts = engine.ssh_opts
        self.register_outputs({"dockerHost": self.docker_host, "sshOpts": self.ssh_opts})


class Opening(TypedDict):
    """Public ports the cloud firewall opens to the internet, for one service."""

    protocol: str
    """tcp or udp."""
    ports: str
    """One port (443) or a range (50000-60000)."""
    service: str
    """The service they reach (named in the firewall rule)."""


class _ServerArgs(TypedDict):
    """What every cloud server takes besides its provider's own fields."""

    admin_ssh_keys: list[str]
    """Public keys of the admin user; the private key's public half must be one of them."""
    private_key: pulumi.Input[str]
    """The private key (OpenSSH) the program reaches the server with; kept a secret."""
    ssh_allowed_from: list[str]
    """Networks (CIDR) the cloud firewall lets reach SSH."""
    admin_user: NotRequired[str]
    data_volume_gb: NotRequired[int]
    reserved_memory_mb: NotRequired[int]
    """Memory kept for the system; only a stack's memory check reads it (docs/monitoring.md)."""
    existing_ssh_keys: NotRequired[list[str]]
    """Keys already in the account, by id or MD5 fingerprint."""
    openings: NotRequired[list[Opening]]
    networks: NotRequired[list[Network]]
    registry_auth: NotRequired[list[RegistryAuth]]


# The _ServerArgs keys that are not fields of the host's spec model.
SERVER_KEYS = ("admin_ssh_keys", "private_key", "openings", "networks", "registry_auth")


class DropletHostArgs(_ServerArgs):
    """A DigitalOcean droplet running Docker (fields as under platform:hosts, kind droplet)."""

    region: str
    size: str
    image: NotRequired[str]
    resize_disk: NotRequired[bool]
    backups: NotRequired[bool]


class HcloudHostArgs(_ServerArgs):
    """A Hetzner Cloud server running Docker (fields as under platform:hosts, kind hcloud)."""

    location: str
    server_type: str
    image: NotRequired[str]
    keep_disk: NotRequired[bool]
    backups: NotRequired[bool]


def host_spec(name: str, model: type[BaseModel], kind: object, inputs: Mapping[str, Any]) -> Any:
    """The host's spec model from the facade's inputs (their schema names are the spec's
    fields); every problem at once, each naming the input, the value and what is allowed."""
    values = {camel_case(k): v for k, v in inputs.items() if k not in SERVER_KEYS}
    try:
        return model.model_validate({"kind": kind, **values})
    except ValidationError as error:
        problems = [
            f"{name}.{'.'.join(str(part) for part in e['loc'])}: {e.get('input')!r}: {e['msg']}"
            for e in error.errors()
        ]
        raise ValueError("invalid host inputs:\n" + "\n".join(problems)) from None


def _openings(name: str, openings: Sequence[Opening]) -> tuple[EdgeOpening, ...]:
    return tuple(
        EdgeOpening(
            host=name,
            protocol=o["protocol"],
            ports=PortRange.model_validate(o["ports"]),
            service=o["service"],
            machine=name,
            target=None,
            description=o["service"],
            config_path=f"{name}.openings[{index}]",
        )
        for index, o in enumerate(openings)
    )


def _cloud_server(
    kind: type[CloudServer[Any]],
    name: str,
    host: CloudServerSpec,
    inputs: Mapping[str, Any],
    parent: pulumi.Resource,
) -> CloudServer[Any]:
    project_dir, stack = _place()
    boot = ServerBootstrap(
        hostname=name,
        admin_user=host.adminUser,
        admin_keys=tuple(inputs["admin_ssh_keys"]),
        private_key=inputs["private_key"],
        private_key_path=f"{name}.privateKey",
        project_dir=project_dir,
        stack=stack,
        networks=_networks(inputs.get("networks", [])),
        registry_auth=_registry_auth(inputs.get("registry_auth", [])),
    )
    openings = _openings(name, inputs.get("openings", []))
    return kind(
        name,
        CloudServerArgs(host=host, boot=boot, openings=openings),
        pulumi.ResourceOptions(parent=parent),
    )


class _ServerOutputs(pulumi.ComponentResource):
    public_address: pulumi.Output[str]
    """The server's public IPv4 address."""
    docker_host: pulumi.Output[str]
    """Its engine's docker host, for a ContainerService."""
    ssh_opts: pulumi.Output[list[str]]
    """Its engine's ssh options, for a ContainerService."""

    def _declare(
        self, library: type[CloudServer[Any]], model: type[BaseModel], name: str, inputs: Any
    ) -> None:
        """The library's server of ``library``'s kind under this facade, and its outputs."""
        (kind,) = get_args(model.model_fields["kind"].annotation)  # the kind's one literal
        spec = host_spec(name, model, kind, inputs)
        server = _cloud_server(library, name, spec, inputs, self)
        self.public_address = server.public_address
        self.docker_host = server.engine.host
        self.ssh_opts = server.engine.ssh_opts
        self.register_outputs(
            {
                "publicAddress": self.public_address,
                "dockerHost": self.docker_host,
                "sshOpts": self.ssh_opts,
            }
        )


class DropletHost(_ServerOutputs):
    """A DigitalOcean droplet running Docker behind a cloud firewall of its openings, with a
    pinned SSH host key, its Docker engine and the admin keys kept in its authorized_keys."""

    def __init__(
        self, name: str, args: DropletHostArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:index:DropletHost", name, None, opts)
        from components.hosts.cloud.droplet import DropletHost as Library  # noqa: PLC0415

        self._declare(Library, DropletHostSpec, name, integers(DropletHostArgs, args))


class HcloudHost(_ServerOutputs):
    """A Hetzner Cloud server running Docker behind a cloud firewall of its openings, with a
    pinned SSH host key, its Docker engine and the admin keys kept in its authorized_keys."""

    def __init__(
        self, name: str, args: HcloudHostArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:index:HcloudHost", name, None, opts)
        from components.hosts.cloud.hcloud import HcloudHost as Library  # noqa: PLC0415

        self._declare(Library, HcloudHostSpec, name, integers(HcloudHostArgs, args))


COMPONENTS: tuple[type[pulumi.ComponentResource], ...] = (
    ContainerService,
    DockerEngine,
    DropletHost,
    HcloudHost,
)
