"""Run a Pulumi program under the SDK's mock runtime and record every registration.

The recording keeps what the engine itself would receive: the type, name, parent, provider
reference, dependencies, resource options and the input properties exactly as serialized by
the SDK (camelCase names, secrets wrapped in the secret signature). No Pulumi CLI, credentials
or network are involved.
"""

from __future__ import annotations

import contextvars
import runpy
import zlib
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.rpc import serialize_properties
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    properties: struct_pb2.Struct
    dependencies: list[str]
    provider: str
    protect: bool
    delete_before_replace: bool = False
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    id: str = ""  # the id the mocks gave it (``mock_outputs``)

    @property
    def inputs(self) -> dict[str, Any]:
        """Input properties as the engine receives them (camelCase, secrets still wrapped)."""
        return json_format.MessageToDict(self.properties)

    @property
    def provider_urn(self) -> str:
        # A provider reference is "<urn>::<id>".
        return self.provider.rpartition("::")[0] if self.provider else ""


def mock_id(type_: str, name: str) -> str:
    """The id a resource gets under the offline plan's mocks."""
    return str(zlib.crc32(f"{type_}::{name}".encode()))


# Where a provider's id or a computed output is not an echo of the inputs, the mocks answer what
# the provider does (sources in tests/provider_facts/outputs.py, which checks this table).
PROXMOX_CONTAINER = "proxmoxve:index/containerLegacy:ContainerLegacy"
HCLOUD_VOLUME = "hcloud:index/volume:Volume"
HCLOUD_ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment"
HCLOUD_GET_SSH_KEY = "hcloud:index/getSshKey:getSshKey"


def mock_mac(name: str, index: int) -> str:
    """A MAC for interface ``index`` of container ``name``, in Proxmox's default prefix."""
    digest = zlib.crc32(f"{name}#{index}".encode()).to_bytes(4, "big")
    return "BC:24:11:" + ":".join(f"{byte:02X}" for byte in digest[1:])


def mock_outputs(type_: str, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The id and outputs a resource gets under the offline plan's mocks."""
    outputs = dict(inputs)
    if type_ == PROXMOX_CONTAINER and "vmId" in inputs:
        # The provider's id is the vmid (bpg container.go: d.SetId(strconv.Itoa(vmID))), and
        # Proxmox gives an interface without a MAC a random one, which is read back.
        outputs["networkInterfaces"] = [
            {"macAddress": mock_mac(name, index), **nic}
            for index, nic in enumerate(inputs.get("networkInterfaces") or [])
        ]
        return str(int(inputs["vmId"])), outputs
    if type_ == HCLOUD_ATTACHMENT and isinstance(inputs.get("volumeId"), (int, float)):
        return str(int(inputs["volumeId"])), outputs  # the attachment's id is the volume's
    id_ = mock_id(type_, name)
    if type_ == HCLOUD_VOLUME:
        outputs.setdefault("linuxDevice", f"/dev/disk/by-id/scsi-0HC_Volume_{id_}")
    return id_, outputs


class _EchoMocks(pulumi.runtime.Mocks):
    """Every resource's outputs are its inputs; its id is a number derived from its name.

    Numeric, because some providers' ids are numbers that programs convert (a droplet's id is
    an int in a firewall's droplet_ids); stable, so two plans are byte-identical. The few
    providers that answer otherwise are answered as they do (``mock_outputs``).
    """

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        return mock_outputs(args.typ, args.name, args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        # A list, never None: the SDK's mock monitor iterates the failures (mocks.py, Invoke).
        if args.token == HCLOUD_GET_SSH_KEY:
            # The key in the account with that fingerprint; its id is a number.
            found = str(args.args.get("fingerprint"))
            return {"id": int(mock_id(args.token, found)), "fingerprint": found}, []
        return {}, []


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock resource monitor, keeping a copy of every RegisterResource request."""

    def __init__(self, mocks: pulumi.runtime.Mocks | None = None) -> None:
        super().__init__(mocks or _EchoMocks())
        self.recorded: list[RecordedResource] = []

    def RegisterResource(self, request: resource_pb2.RegisterResourceRequest) -> Any:  # noqa: N802
        # The SDK's mock monitor is untyped; its response carries the URN it allocated.
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                properties=request.object,
                dependencies=list(request.dependencies),
                provider=request.provider,
                protect=bool(request.protect),
                delete_before_replace=bool(request.deleteBeforeReplace),
                property_dependencies={
                    key: list(deps.urns) for key, deps in request.propertyDependencies.items()
                },
                ignore_changes=list(request.ignoreChanges),
                replace_on_changes=list(request.replaceOnChanges),
                id=str(getattr(response, "id", "") or ""),
            )
        )
        return response


@dataclass
class ProgramRun:
    resources: list[RecordedResource]
    error: BaseException | None
    outputs: dict[str, Any] = field(default_factory=dict)  # root stack outputs, secrets "[secret]"


def run_program(
    program: Path | Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Set[str] = frozenset(),
    preview: bool = True,
    mocks: pulumi.runtime.Mocks | None = None,
) -> ProgramRun:
    """Run ``program`` (a ``__main__.py`` path or a callable) under mocks; never raises for it.

    Each run happens in a fresh context, so runs in one process do not share a root stack,
    config or settings. ``mocks`` replaces the echo of inputs as outputs (a test that needs
    what a provider really returns).
    """
    return contextvars.Context().run(
        _run, program, project, stack, dict(config), set(secret_keys), preview, mocks
    )


def _run(  # noqa: PLR0917 - positional so Context.run can pass them
    program: Path | Callable[[], None],
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: set[str],
    preview: bool,
    mocks: pulumi.runtime.Mocks | None,
) -> ProgramRun:
    monitor = RecordingMonitor(mocks)
    runtime_config.set_all_config(config, sorted(secret_keys))
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor
    )
    body: Callable[[], None]
    if callable(program):
        body = program
    else:
        path = program

        def body() -> None:
            runpy.run_path(str(path), run_name="__main__")

    error: BaseException | None = None
    outputs: dict[str, Any] = {}
    try:
        _sync_await(run_pulumi_func(body))
        outputs = _sync_await(_stack_outputs())
    except Exception as exc:  # reported to the caller along with what was recorded
        error = exc
    return ProgramRun(resources=monitor.recorded, error=error, outputs=public_view(outputs))


async def _stack_outputs() -> dict[str, Any]:
    """The root stack's ``pulumi.export`` values, serialized as the engine would store them.

    The mock runtime's root stack registers its outputs before the program runs, so they are
    read from the stack itself once the program is done.
    """
    root = pulumi.runtime.settings.get_root_resource()
    exported = getattr(root, "outputs", None) or {}
    struct = await serialize_properties(exported, {})
    result: dict[str, Any] = json_format.MessageToDict(struct)
    return result


def public_view(value: Any) -> Any:
    """Inputs for people and JSON: secrets become ``[secret]``, unknowns ``[unknown]``."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return "[secret]"
        return {key: public_view(item) for key, item in value.items()}
    if isinstance(value, list):
        return [public_view(item) for item in value]
    if value == UNKNOWN:
        return "[unknown]"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf numbers are doubles; ids and sizes read better as ints
    return value
