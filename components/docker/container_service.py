"""One service as a Docker container on any engine, with secure defaults.

Usable on its own: the args are plain data, and nothing here reads the stack spec
(``components.docker.service_args`` builds them from it). Defaults, each one visible in the recorded
inputs: restart unless-stopped, a health check the apply waits for, memory and CPU limits, a
process limit (an ``nproc`` ulimit: the kernel counts it per user id, not per container, and
root is exempt; pulumi-docker 5.2 has no pids-limit argument), ``no-new-privileges``, every
capability dropped and only the listed ones added back, rotated json-file logs, named volumes
(protected) for data, and secrets only as Pulumi secrets.

Replacement (a changed image, a changed environment):

- stateless, with no published port and a bridge network: the container has no fixed name
  (Pulumi names it ``<name>-container-<random>``) and is reached through its network alias,
  so the engine creates the new container, waits for it to be healthy (``wait``), and only
  then deletes the old one. The bridge marks a resource delete-before-replace only when its
  name was set by hand (pulumi/pulumi-terraform#465).
- stateful, publishing a port, or on the host network: delete-before-replace, as two
  containers could not hold the same name, port or volume data at once (a port published twice
  fails: pulumi/pulumi-docker#1356). Its volumes are protected and outlive the container.

What the provider reads back (kreuzwerker/terraform-provider-docker v4.5.0, the facts with
their lines in tests/provider_facts/docker.py) is sent in the provider's own form, so a refresh
finds nothing to change: ports in the order it reads them (by internal port), healthcheck
durations and cpus as Go and the provider format them (components/docker/read_back.py).

Stopping: the provider stops a container it deletes with ``destroy_grace_seconds`` (default 0:
SIGKILL at once) and Docker stops it on an engine shutdown with its ``stop_timeout``; both are
the service's grace, after its ``stop_signal`` (a database's clean one, else the image's own
STOPSIGNAL). ``stop_signal`` and ``stop_timeout`` are fixed at create (ForceNew): a changed
grace replaces the container. A delete uses the grace of the state it deletes, so the first
replacement of a container created before these settings still stops it at once: stop a
database by hand (``docker stop -t 60 NAME``) before that ``up``.

A changed healthcheck replaces the container (``replace_on_changes``): the provider neither
forces a new container for it nor updates it in place, so without that an edit would only
change the state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from components import names
from components.docker.read_back import cpus_text, go_duration
from components.spec.services import STATELESS_STOP_GRACE_SECONDS

LOG_MAX_SIZE = "10m"
LOG_MAX_FILES = "5"
# The container inputs a change of which replaces it although the provider would not.
REPLACE_ON_CHANGES = ("healthcheck",)
EXCEPTION_LABEL_PREFIX = "selfhosted.policy.except."


@dataclass(frozen=True)
class PortBinding:
    protocol: str  # tcp or udp
    start: int
    end: int
    address: pulumi.Input[str]  # always explicit: never 0.0.0.0 by omission


@dataclass(frozen=True)
class VolumeMount:
    volume: str  # Docker volume name on the engine
    path: str
    read_only: bool = False
    # False: another service's volume (it declares it; this container waits for it: ``after``).
    owned: bool = True


@dataclass(frozen=True)
class BindMount:
    host_path: str
    path: str
    read_only: bool = True


_OCTAL_MODE = re.compile(r"^0?[0-7]{3}$")


@dataclass(frozen=True)
class ConfigFile:
    """A file put into the container before it starts (pulumi-docker ``uploads``).

    ``uploads`` forces a new container when any part of it changes (kreuzwerker
    terraform-provider-docker v4.5.0, internal/provider/resource_docker_container.go, the
    ``upload`` block is ``ForceNew``), so a changed file replaces the container as an image bump
    does, with the same zero-downtime or delete-first order, and an unchanged one touches
    nothing. ``secret`` content is sent as a Pulumi secret: encrypted in state, ``[secret]`` in
    the plan and logs. The provider writes the file with ``mode``; ``owner``/``group`` are
    numeric ids (names would be resolved on the machine that runs pulumi, not in the image).
    """

    path: str
    content: pulumi.Input[str]
    secret: bool = False
    mode: str = "0644"
    owner: str | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.path.startswith("/") or "/../" in f"{self.path}/":
            problems.append(f"path {self.path!r} is not an absolute path without '..'")
        if not _OCTAL_MODE.fullmatch(self.mode):
            problems.append(f"mode {self.mode!r} is not an octal file mode such as 0644")
        for what, value in (("owner", self.owner), ("group", self.group)):
            if value is not None and not value.isdigit():
                problems.append(f"{what} {value!r} is not a numeric id")
        if problems:
            raise ValueError(f"config file {self.path}: " + "; ".join(problems))


@dataclass(frozen=True)
class Healthcheck:
    test: Sequence[str]
    interval_seconds: int = 15
    timeout_seconds: int = 5
    retries: int = 5
    start_period_seconds: int = 30


@dataclass(frozen=True)
class ContainerServiceArgs:
    image: str
    provider: docker.Provider
    networks: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # alias net -> name
    host_network: bool = False
    command: Sequence[str] | None = None
    entrypoint: Sequence[str] | None = None
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    ports: Sequence[PortBinding] = ()
    volumes: Sequence[VolumeMount] = ()
    binds: Sequence[BindMount] = ()
    healthcheck: Healthcheck | None = None
    memory_mb: int = 512
    cpus: float = 1.0
    pids: int = 512
    cap_add: Sequence[str] = ()
    user: str | None = None
    stateful: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    # Labels whose value is a Pulumi secret (a route's basic-auth users, hashed).
    secret_labels: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    policy_exceptions: Mapping[str, str] = field(default_factory=dict)
    aliases: Sequence[str] = ()
    files: Sequence[ConfigFile] = ()
    # Seconds between the stop signal and SIGKILL; the signal is the image's when None.
    stop_grace_seconds: int = STATELESS_STOP_GRACE_SECONDS
    stop_signal: str | None = None
    # Resources that must exist first (a volume declared elsewhere, the engine's readiness).
    after: Sequence[pulumi.Resource] = ()

    @property
    def zero_downtime(self) -> bool:
        """Whether a replacement can start the new container before the old one goes."""
        return not (self.stateful or self.ports or self.host_network)


class ContainerService(pulumi.ComponentResource):
    container: docker.Container
    image: docker.RemoteImage
    volumes: dict[str, docker.Volume]

    def __init__(
        self, name: str, args: ContainerServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:docker:ContainerService", name, None, opts)
        on_engine = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.image = docker.RemoteImage(
            names.child(name, names.IMAGE),
            name=args.image,
            # Another revision of the service may still run it during a replacement.
            keep_locally=True,
            opts=on_engine,
        )
        # Data outlives the container: protected, so removing the service from the stack stops
        # at the volume until someone decides what happens to the data.
        self.volumes = {
            mount.volume: docker.Volume(
                names.volume(name, mount.volume),
                name=mount.volume,
                labels=[docker.VolumeLabelArgs(label="selfhosted.service", value=name)],
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, protect=True),
            )
            for mount in args.volumes
            if mount.owned
        }
        self.container = docker.Container(
            names.child(name, names.CONTAINER),
            name=name if not args.zero_downtime else None,
            # The reference, not the pulled id: policies read it at preview, and the pull
            # (RemoteImage) still happens first.
            image=args.image,
            command=list(args.command) if args.command is not None else None,
            entrypoints=list(args.entrypoint) if args.entrypoint is not None else None,
            envs=_environment(args),
            # Left to the provider's default (bridge): it creates the container there, connects
            # each networks_advanced entry with its aliases, then disconnects the default bridge
            # (kreuzwerker/terraform-provider-docker resource_docker_container_funcs.go). Naming
            # an own network here instead would attach it first, without its aliases, and the
            # later connect with aliases would be a no-op: the alias is how stateless services
            # are found.
            network_mode="host" if args.host_network else None,
            networks_advanced=_networks(name, args),
            ports=_ports(args.ports),
            volumes=[
                docker.ContainerVolumeArgs(
                    volume_name=mount.volume,
                    container_path=mount.path,
                    read_only=mount.read_only,
                )
                for mount in args.volumes
            ]
            + [
                docker.ContainerVolumeArgs(
                    host_path=bind.host_path, container_path=bind.path, read_only=bind.read_only
                )
                for bind in args.binds
            ],
            uploads=_uploads(name, args.files),
            healthcheck=_healthcheck(args.healthcheck),
            wait=args.healthcheck is not None,
            wait_timeout=_wait_timeout(args.healthcheck),
            restart="unless-stopped",
            stop_signal=args.stop_signal,
            stop_timeout=args.stop_grace_seconds,
            destroy_grace_seconds=args.stop_grace_seconds,
            memory=args.memory_mb,
            memory_swap=args.memory_mb,  # no swap beyond the limit
            cpus=cpus_text(args.cpus),
            ulimits=[docker.ContainerUlimitArgs(name="nproc", soft=args.pids, hard=args.pids)],
            security_opts=["no-new-privileges:true"],
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"], adds=list(args.cap_add)),
            user=args.user,
            log_driver="json-file",
            log_opts={"max-size": LOG_MAX_SIZE, "max-file": LOG_MAX_FILES},
            labels=[
                docker.ContainerLabelArgs(label=key, value=value)
                for key, value in sorted(_labels(name, args).items())
            ],
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.provider,
                delete_before_replace=not args.zero_downtime,
                replace_on_changes=list(REPLACE_ON_CHANGES),
                depends_on=[self.image, *self.volumes.values(), *args.after],
            ),
        )
        self.register_outputs({"containerName": self.container.name})


def _environment(args: ContainerServiceArgs) -> list[pulumi.Output[str]]:
    plain = [pulumi.Output.concat(key, "=", value) for key, value in sorted(args.env.items())]
    # secret() marks a value the caller left plain; concat keeps an existing secret marker.
    secret = [
        pulumi.Output.concat(key, "=", pulumi.Output.secret(value))
        for key, value in sorted(args.secret_env.items())
    ]
    return [*plain, *secret]


def _ports(bindings: Sequence[PortBinding]) -> list[docker.ContainerPortArgs]:
    """One entry per port, in the order the provider reads ``ports`` back: by internal port
    alone (``flattenContainerPorts``, sort.Sort on ``byPortAndProtocol``, whose Less compares
    the port number only). ``ports`` replaces the container on any change, order included, so
    another order would replace it on every ``up``. Two protocols on one port number come back
    in no fixed order; the spec refuses them (components/spec/rules/containers.py)."""
    entries = sorted(
        ((port, binding) for binding in bindings for port in range(binding.start, binding.end + 1)),
        key=lambda entry: entry[0],
    )
    return [
        docker.ContainerPortArgs(
            internal=port, external=port, ip=binding.address, protocol=binding.protocol
        )
        for port, binding in entries
    ]


def _networks(name: str, args: ContainerServiceArgs) -> list[docker.ContainerNetworksAdvancedArgs]:
    if args.host_network:
        return []
    aliases = [name, *args.aliases]
    return [
        docker.ContainerNetworksAdvancedArgs(name=network, aliases=aliases)
        for network in args.networks.values()
    ]


def _uploads(name: str, files: Sequence[ConfigFile]) -> list[docker.ContainerUploadArgs] | None:
    paths = [f.path for f in files]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise ValueError(f"{name}: config files {', '.join(duplicates)} are given twice")
    return [
        docker.ContainerUploadArgs(
            file=f.path,
            content=pulumi.Output.secret(f.content) if f.secret else f.content,
            permissions=f.mode,
            owner=f.owner,
            group=f.group,
        )
        for f in sorted(files, key=lambda f: f.path)
    ] or None


def _healthcheck(check: Healthcheck | None) -> docker.ContainerHealthcheckArgs | None:
    if check is None:
        return None
    return docker.ContainerHealthcheckArgs(
        tests=list(check.test),
        interval=go_duration(check.interval_seconds),
        timeout=go_duration(check.timeout_seconds),
        retries=check.retries,
        start_period=go_duration(check.start_period_seconds),
    )


def _wait_timeout(check: Healthcheck | None) -> int | None:
    if check is None:
        return None
    # Long enough for the start period and every retry, so a slow start is not a failure.
    return check.start_period_seconds + (check.interval_seconds + check.timeout_seconds) * (
        check.retries + 1
    )


def _labels(name: str, args: ContainerServiceArgs) -> dict[str, pulumi.Input[str]]:
    labels: dict[str, pulumi.Input[str]] = {"selfhosted.service": name, **args.labels}
    labels.update({key: pulumi.Output.secret(value) for key, value in args.secret_labels.items()})
    for rule, reason in args.policy_exceptions.items():
        labels[f"{EXCEPTION_LABEL_PREFIX}{rule}"] = " ".join(reason.split())
    return labels
