"""Services (containers on a Docker engine), the networks they join and how they are reached."""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

import re
from ipaddress import IPv4Network, IPv6Network
from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import AfterValidator, Field, field_validator, model_validator

from components.apps.kinds import MODULES as APP_MODULES
from components.docker.read_back import cpus_round_trip
from components.proxies.base import ProxyBase
from components.proxies.kinds import MODULES as PROXY_MODULES

from .common import DomainName, InterfaceName, Name, SecretRef, ShellSafe, Strict
from .images import PinnedImage
from .ports import PortRange

if TYPE_CHECKING:
    # The unions are built from the registered apps and proxy kinds at run time; type checkers
    # see their bases.
    AppSpec = Strict
    ProxySpec = ProxyBase
else:
    AppSpec = Annotated[
        Union[tuple(module.Spec for module in APP_MODULES)],  # noqa: UP007
        Field(discriminator="kind"),
    ]
    ProxySpec = Annotated[
        Union[tuple(module.Spec for module in PROXY_MODULES)],  # noqa: UP007
        Field(discriminator="kind"),
    ]


class NetworkSpec(Strict):
    internal: bool = Field(
        default=False,
        description="No route out of the network: members talk to each other only.",
    )
    dockerName: Name | None = Field(
        default=None, description="Name of the Docker network; defaults to the key."
    )
    subnet: IPv4Network | None = Field(
        default=None,
        description="Fixed subnet (CIDR), e.g. 172.31.0.0/16; Docker picks one if null.",
    )
    bridgeName: InterfaceName | None = Field(
        default=None, description="Name of the Linux bridge Docker creates, e.g. br-hub."
    )


class RouteUser(Strict):
    """A user the proxy asks for credentials (HTTP basic auth); the password is a secret."""

    username: str = Field(
        pattern=r"^[A-Za-z0-9._@-]{1,64}$",
        description="User name (letters, digits, . _ @ -; no colon: it ends the name in basic "
        "auth).",
    )
    password: SecretRef = Field(
        description="The password, as {secret: <path under platform:secrets>}; stored hashed "
        "by the proxy."
    )


class RouteAuth(Strict):
    """Who may use a route: basic-auth users, source networks, or both (both must pass)."""

    users: list[RouteUser] = Field(
        default_factory=list,
        description="HTTP basic-auth users. Not for apps that use the Authorization header "
        "themselves (Portainer, Nginx Proxy Manager): give them allowFrom.",
    )
    allowFrom: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="Source networks (CIDR) allowed through; every other client gets 403.",
    )

    @model_validator(mode="after")
    def _says_something(self) -> RouteAuth:
        if not self.users and not self.allowFrom:
            raise ValueError("names no users and no allowFrom networks: give at least one")
        names = [user.username for user in self.users]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"repeats the user name(s) {', '.join(repeated)}")
        return self


class RouteExpose(Strict):
    """An HTTP(S) route through the stack's proxy to a port of the service."""

    kind: Literal["route"]
    host: DomainName = Field(description="Public host name the proxy answers for.")
    path: str = Field(
        default="/", pattern=r"^/[A-Za-z0-9._~/-]*$", description="Path prefix, e.g. /api."
    )
    port: int = Field(ge=1, le=65535, description="Port the service listens on.")
    auth: RouteAuth | None = Field(
        default=None,
        description="Authentication at the proxy (admin panels): basic-auth users and/or "
        "source networks; none = public.",
    )
    websocket: bool = Field(
        default=False,
        description="The backend upgrades connections to WebSocket (LiveKit signaling): the "
        "proxy passes Upgrade through.",
    )

    @property
    def guarded(self) -> bool:
        """The proxy refuses a client without credentials or from outside the allow-list."""
        return self.auth is not None and bool(self.auth.users or self.auth.allowFrom)


class ForwardExpose(Strict):
    """Ports opened to the internet straight to the service, never through the proxy."""

    kind: Literal["forward"]
    protocol: Literal["tcp", "udp"] = Field(description="Transport protocol: tcp or udp.")
    ports: PortRange = Field(description="Public port or inclusive range, e.g. 443 or 50000-60000.")
    description: str = Field(default="", description="Why this port is public.")


class PrivateExpose(Strict):
    """Ports reachable from the other guests on a Proxmox NAT bridge, never from the internet."""

    kind: Literal["private"]
    protocol: Literal["tcp", "udp"] = Field(default="tcp", description="tcp or udp.")
    ports: PortRange = Field(description="Port or inclusive range.")


Expose = Annotated[RouteExpose | ForwardExpose | PrivateExpose, Field(discriminator="kind")]


class ListenSpec(Strict):
    """A port the service serves on its networks only, reached by other services by alias."""

    protocol: Literal["tcp", "udp"] = Field(default="tcp", description="tcp or udp.")
    ports: PortRange = Field(description="Port or inclusive range, e.g. 5432.")


class HealthcheckSpec(Strict):
    test: list[str] = Field(
        min_length=1,
        description='Command in exec form, e.g. ["CMD", "wget", "-qO-", "http://localhost/"].',
    )
    intervalSeconds: int = Field(default=15, ge=1, description="Seconds between checks.")
    timeoutSeconds: int = Field(default=5, ge=1, description="Seconds before a check fails.")
    retries: int = Field(default=5, ge=1, description="Failures before unhealthy.")
    startPeriodSeconds: int = Field(default=30, ge=0, description="Grace period after start.")


class ResourcesSpec(Strict):
    memoryMb: int = Field(default=512, ge=6, description="Memory limit in MiB.")
    cpus: float = Field(default=1.0, gt=0, le=512, description="CPU limit in cores.")
    pids: int = Field(default=512, ge=16, description="Process limit (nproc).")

    @field_validator("cpus")
    @classmethod
    def _reads_back_as_itself(cls, cpus: float) -> float:
        return cls.reads_back_as_itself(cpus)

    @staticmethod
    def reads_back_as_itself(cpus: float) -> float:
        # The provider reads cpus back in its own decimal form, which rounds some values
        # (components/docker/read_back.py); cpus replaces the container on any change.
        try:
            back = cpus_round_trip(cpus)
        except ValueError:
            raise ValueError(
                "has more than 9 decimal places: Docker counts CPUs in billionths"
            ) from None
        if back is not None:
            raise ValueError(
                f"reads back from the Docker provider as {back:g}, so every up would replace "
                "the container; use a value that reads back as itself, such as 0.5, 1.5 or 0.25"
            )
        return cpus


class VolumeMountSpec(Strict):
    name: Name = Field(description="Named Docker volume (created and protected by the stack).")
    path: str = Field(pattern=r"^/[A-Za-z0-9._/-]*$", description="Mount point in the container.")
    readOnly: bool = Field(default=False, description="Mount read-only.")
    owner: Name | None = Field(
        default=None,
        description="Another service on the same machine whose volume this is: mounted "
        "read-only without owning it (nginx reading certbot's certificates); the owner's "
        "removal, not this one's, decides about the data.",
    )


class BindMountSpec(Strict):
    """A host path in the container: only where a service must see the host (Traefik's
    Docker socket), so the policy pack's host-path rules apply to it."""

    hostPath: str = Field(pattern=r"^/[A-Za-z0-9._/-]*$", description="Path on the machine.")
    path: str = Field(pattern=r"^/[A-Za-z0-9._/-]*$", description="Mount point in the container.")
    readOnly: bool = Field(default=True, description="Mount read-only (the default).")


def _signal(name: str) -> str:
    if not _SIGNAL_RE.fullmatch(name):
        raise ValueError("is not a signal name such as SIGTERM, SIGINT or SIGQUIT")
    return name


_SIGNAL_RE = re.compile(r"^SIG[A-Z]+[0-9]*(\+[0-9]+)?$")
Signal = Annotated[str, AfterValidator(_signal)]

# Seconds between the stop signal and SIGKILL when the service is stopped (replaced, removed,
# or its engine shut down): long enough for a database to flush and close; Docker's own 10 s for
# the rest.
STATEFUL_STOP_GRACE_SECONDS = 30
STATELESS_STOP_GRACE_SECONDS = 10


class ServiceSpec(Strict):
    """One container on the Docker engine of a host or a guest."""

    machine: Name = Field(description="The host or guest whose Docker engine runs the service.")
    image: PinnedImage = Field(description="Image with a pinned tag or digest (never latest).")
    command: list[str] | None = Field(default=None, description="Command (exec form).")
    entrypoint: list[str] | None = Field(
        default=None,
        description="Replaces the image's entrypoint (exec form), e.g. [sh, -c] to run a "
        "loop in an image whose entrypoint is its tool (certbot).",
    )
    env: dict[str, str | SecretRef] = Field(
        default_factory=dict,
        description="Environment; secret values as {secret: <path under platform:secrets>}.",
    )
    app: AppSpec | None = Field(
        default=None,
        description="What the service is, when the stack configures it (its config files, "
        "env and checks): kind livekit, livekit-egress, mosquitto, loki, pgbouncer.",
    )
    networks: list[Name] = Field(
        default_factory=list, description="Networks (under platform:networks) the service joins."
    )
    networkMode: Literal["bridge", "host"] = Field(
        default="bridge",
        description="host shares the machine's network (LiveKit's media ports): a declared "
        "exception to the pack's host-namespace rule.",
    )
    expose: list[Expose] = Field(
        default_factory=list,
        description="How the service is reached: route, forward or private; none = internal.",
    )
    listen: list[ListenSpec] = Field(
        default_factory=list,
        description="Ports served to other services on its networks (a database's 5432); "
        "exposed ports need not be repeated.",
    )
    volumes: list[VolumeMountSpec] = Field(default_factory=list, description="Named volumes.")
    binds: list[BindMountSpec] = Field(
        default_factory=list, description="Host paths mounted in the container (read-only)."
    )
    healthcheck: HealthcheckSpec | None = Field(default=None, description="Health check.")
    resources: ResourcesSpec = Field(default_factory=ResourcesSpec, description="Limits.")
    user: ShellSafe | None = Field(default=None, description="User (uid:gid) to run as.")
    capAdd: list[Annotated[str, Field(pattern=r"^[A-Z_]+$")]] = Field(
        default_factory=list,
        description="Capabilities added back after dropping ALL (e.g. CHOWN, SETUID).",
    )
    stateful: bool = Field(
        default=False,
        description="Keeps data: fixed name, delete-before-replace, protected volumes.",
    )
    stopGraceSeconds: int | None = Field(
        default=None,
        ge=1,
        le=3600,
        description="Seconds a stop waits after the stop signal before SIGKILL (replacement, "
        f"removal, engine shutdown); default {STATEFUL_STOP_GRACE_SECONDS} for stateful "
        f"services, {STATELESS_STOP_GRACE_SECONDS} otherwise. Fixed at create: a change "
        "replaces the container.",
    )
    stopSignal: Signal | None = Field(
        default=None,
        description="Signal that stops the service cleanly, e.g. SIGINT; default: the one a "
        "database image documents (PostgreSQL SIGINT, Redis and MariaDB SIGTERM), else the "
        "image's own STOPSIGNAL.",
    )
    policyExceptions: dict[str, str] = Field(
        default_factory=dict,
        description="Policy rule name -> reason: a declared, visible exception for this service.",
    )
