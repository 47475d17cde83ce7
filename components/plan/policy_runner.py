"""Drive a CrossGuard policy pack the way the Pulumi engine does.

The pack runs in its own process (``python <pack dir>``, as the Python language host starts
it), prints the port of its analyzer gRPC server, and is then asked: GetAnalyzerInfo,
Configure, Analyze for each resource, and AnalyzeStack once with all of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .recording import RecordedResource

_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    # A violation left after remediation blocks the update, as in the engine.
    analyzer_pb2.REMEDIATE: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_VALUES = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {
            "policy": self.policy,
            "level": self.level,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass(frozen=True)
class PolicyDescription:
    name: str
    description: str
    level: str
    severity: str
    remediation: str


class PolicyPackError(Exception):
    """The pack process did not start or stopped answering."""


class PolicyPackProcess:
    """A running policy pack; use as a context manager so the process always stops."""

    def __init__(self, pack_dir: Path, python: str = sys.executable) -> None:
        self.pack_dir = pack_dir = pack_dir.resolve()
        self._process = subprocess.Popen(
            [python, "-u", str(pack_dir)],
            cwd=pack_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()
        if not line.isdigit():
            detail = self._stderr()
            self.close()
            raise PolicyPackError(
                f"policy pack {pack_dir} did not print its port: {line!r}\n{detail}"
            )
        self._channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def __enter__(self) -> PolicyPackProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if hasattr(self, "_channel"):
            self._channel.close()
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()

    def _stderr(self) -> str:
        if self._process.poll() is None:
            self._process.kill()
        assert self._process.stderr is not None
        return self._process.stderr.read().decode(errors="replace")[-2000:]

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        info: analyzer_pb2.AnalyzerInfo = self._stub.GetAnalyzerInfo(empty_pb2.Empty())
        return info

    def policies(self) -> list[PolicyDescription]:
        return [
            PolicyDescription(
                name=p.name,
                description=p.description,
                level=_LEVELS.get(p.enforcementLevel, "advisory"),
                severity=_SEVERITIES.get(p.severity, "unspecified"),
                remediation=p.remediation_steps,
            )
            for p in self.info().policies
        ]

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        """Send policy config as the engine does: ``{policy: {enforcementLevel?, ...props}}``.

        Like the engine, a policy configured without an ``enforcementLevel`` keeps the level
        the pack gives it (the wire default would silently turn it into advisory).
        """
        own_levels = {p.name: p.enforcementLevel for p in self.info().policies}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy, values in config.items():
            if policy not in own_levels:
                known = ", ".join(sorted(own_levels))
                raise PolicyPackError(f"policy config names {policy!r}; the pack has: {known}")
            props = dict(values)
            level = props.pop("enforcementLevel", None)
            if level is not None and level not in _LEVEL_VALUES:
                allowed = ", ".join(_LEVEL_VALUES)
                raise PolicyPackError(
                    f"policy config {policy}.enforcementLevel: {level!r}; allowed: {allowed}"
                )
            entry = request.policyConfig[policy]
            entry.enforcementLevel = own_levels[policy] if level is None else _LEVEL_VALUES[level]
            entry.properties.update(json.loads(json.dumps(props)))
        self._stub.Configure(request)

    def analyze(
        self, resource: RecordedResource, providers: Mapping[str, RecordedResource]
    ) -> list[Violation]:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=resource.properties,
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
        )
        provider = providers.get(resource.provider_urn)
        if provider is not None:
            request.provider.CopyFrom(_provider(provider))
        return _violations(self._stub.Analyze(request), resource.urn)

    def analyze_stack(
        self, resources: Sequence[RecordedResource], providers: Mapping[str, RecordedResource]
    ) -> list[Violation]:
        request = analyzer_pb2.AnalyzeStackRequest()
        for resource in resources:
            item = request.resources.add(
                type=resource.type,
                properties=resource.properties,
                urn=resource.urn,
                name=resource.name,
                options=_options(resource),
                parent=resource.parent,
                dependencies=resource.dependencies,
            )
            for key, urns in resource.property_dependencies.items():
                item.propertyDependencies[key].urns.extend(urns)
            provider = providers.get(resource.provider_urn)
            if provider is not None:
                item.provider.CopyFrom(_provider(provider))
        return _violations(self._stub.AnalyzeStack(request), "")

    def check(self, resources: Sequence[RecordedResource]) -> list[Violation]:
        """Analyze each resource, then the stack, in the engine's order."""
        providers = {r.urn: r for r in resources if r.type.startswith("pulumi:providers:")}
        violations: list[Violation] = []
        for resource in resources:
            violations.extend(self.analyze(resource, providers))
        violations.extend(self.analyze_stack(resources, providers))
        return violations


def _options(resource: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        parent=resource.parent,
        deleteBeforeReplace=resource.delete_before_replace,
        deleteBeforeReplaceDefined=True,
    )


def _provider(provider: RecordedResource) -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=provider.properties, urn=provider.urn, name=provider.name
    )


def _violations(response: analyzer_pb2.AnalyzeResponse, default_urn: str) -> list[Violation]:
    return [
        Violation(
            policy=d.policyName,
            level=_LEVELS.get(d.enforcementLevel, "advisory"),
            urn=d.urn or default_urn,
            message=d.message,
        )
        for d in response.diagnostics
    ]


def struct_from(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties for a hand-made resource (fixtures), in the engine's wire form."""
    struct = struct_pb2.Struct()
    struct.update(json.loads(json.dumps(properties)))
    return struct


def load_policy_config(path: Path | None) -> dict[str, dict[str, Any]]:
    """A ``--policy-pack-config`` JSON file; absent means the pack's own defaults."""
    if path is None or not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {
        name: (value if isinstance(value, dict) else {"enforcementLevel": value})
        for name, value in data.items()
    }


def mandatory(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.level == "mandatory"]
