"""A resource monitor and engine over gRPC, as ``pulumi`` serves them to a provider's Construct.

Built on the SDK's generated services (``pulumi.runtime.proto``): the monitor records every
RegisterResource request and answers it the way the engine does in a preview (the URN from the
parent's type chain, an id for a custom resource, the inputs as the outputs); invokes answer
empty. The engine service takes the provider's log messages. Nothing here is the code under
test: it only listens.
"""

from __future__ import annotations

import threading
import zlib
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

PROJECT = "yaml-consumer"
STACK = "dev"
STACK_TYPE = "pulumi:pulumi:Stack"
FEATURES = (
    resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS,
    resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
    resource_pb2.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES,
    resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
    resource_pb2.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
)
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::{STACK_TYPE}::{PROJECT}-{STACK}"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    provider: str
    protect: bool
    delete_before_replace: bool
    dependencies: list[str]


@dataclass
class Recorder:
    registrations: list[Registration] = field(default_factory=list)
    invokes: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_name(self) -> dict[str, Registration]:
        with self.lock:
            return {r.name: r for r in self.registrations}

    def clear(self) -> None:
        with self.lock:
            self.registrations.clear()
            self.invokes.clear()
            self.logs.clear()


def urn_of(parent: str, type_: str, name: str) -> str:
    qualified = type_
    if parent and not parent.endswith(f"::{PROJECT}-{STACK}"):
        qualified = parent.split("::")[2] + "$" + type_
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        # The features every current engine has that the SDK's registrations rely on (alias
        # specs: without them the SDK computes parent aliases from a parent object it lacks).
        return resource_pb2.DeploymentInfo(
            project=PROJECT, stack=STACK, dryRun=True, supportedFeatures=FEATURES
        )

    def RegisterResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        urn = urn_of(request.parent, request.type, request.name)
        with self.recorder.lock:
            self.recorder.registrations.append(
                Registration(
                    urn=urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=json_format.MessageToDict(request.object),
                    provider=request.provider,
                    protect=bool(request.protect),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    dependencies=list(request.dependencies),
                )
            )
        id_ = str(zlib.crc32(urn.encode())) if request.custom else ""
        obj = struct_pb2.Struct()
        obj.CopyFrom(request.object)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:  # noqa: N802
        with self.recorder.lock:
            self.recorder.invokes.append(request.tok)
        return resource_pb2.ResourceInvokeResponse(**{"return": struct_pb2.Struct()})


class Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def Log(self, request: Any, context: Any) -> Any:  # noqa: N802
        with self.recorder.lock:
            self.recorder.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=STACK_URN)

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        return engine_pb2.SetRootResourceResponse()


def start(recorder: Recorder) -> tuple[grpc.Server, str]:
    """Both services on one local port; returns the server and its address."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(Monitor(recorder), server)
    engine_pb2_grpc.add_EngineServicer_to_server(Engine(recorder), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"
