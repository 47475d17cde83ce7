"""Drive a CrossGuard policy pack the way the Pulumi engine does.

The pack runs in its own process (``python <pack dir>``, as the Python language host starts
it), prints the port of its analyzer gRPC server, and is then asked: GetAnalyzerInfo,
Configure, Analyze for each resource, and AnalyzeStack once with all of them.

Resources are sent as the engine sends them after the provider's Check: the schema defaults
of ``provider_defaults`` are filled first.

Exceptions: the pack drops a violation on a resource that declares an exception to the rule
(``policies/lib/exceptions.py``). So that the plan can still show them, the runner starts the
pack with ``EXCEPTION_MARK_ENV`` set to ``EXCEPTION_MARK``; the pack then reports an excepted
violation as ``<mark>{"reason": ..., "source": ...}`` + newline + the message, and the runner
lists it under ``Findings.exceptions`` instead of the violations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .provider_defaults import checked_struct
from .recording import RecordedResource

EXCEPTION_MARK_ENV = "SELFHOSTED_POLICY_EXCEPTION_MARK"
EXCEPTION_MARK = "[selfhosted.policy.exception] "
ID_TAG = "id:"

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


def resource_name(urn: str) -> str:
    """A resource's logical name: the last part of its URN."""
    return urn.rpartition("::")[2]


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    message: str
    config_path: str = ""  # the stack config key the resource came from, when known

    @property
    def detail(self) -> str:
        """The message without the policy description the SDK puts on its first line."""
        return self.message.partition("\n")[2] or self.message

    def as_json(self) -> dict[str, str]:
        result = {
            "policy": self.policy,
            "level": self.level,
            "urn": self.urn,
            "message": self.message,
        }
        if self.config_path:
            result["configPath"] = self.config_path
        return result


@dataclass(frozen=True)
class AppliedException:
    """A violation the pack did not report because the resource declares an exception."""

    policy: str
    urn: str
    reason: str
    source: str  # "label selfhosted.policy.except.<rule>" or "policy config <rule>.exceptions"
    message: str  # what the violation would have said
    config_path: str = ""

    def as_json(self) -> dict[str, str]:
        result = {
            "policy": self.policy,
            "urn": self.urn,
            "reason": self.reason,
            "source": self.source,
            "message": self.message,
        }
        if self.config_path:
            result["configPath"] = self.config_path
        return result


@dataclass
class Findings:
    violations: list[Violation]
    exceptions: list[AppliedException]


@dataclass(frozen=True)
class PolicyDescription:
    name: str
    description: str
    level: str
    severity: str
    remediation: str
    rule_id: str = ""  # the pack's stable id, from its `id:` tag
    cis: str = ""  # the compliance framework reference (CIS Docker Benchmark), if any


class PolicyPackError(Exception):
    """The pack process did not start or stopped answering, or there is no pack."""


class PolicyConfigError(Exception):
    """Policy config that the pack cannot take: one line per problem, naming file and key."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class PolicyPackProcess:
    """A running policy pack; use as a context manager so the process always stops."""

    def __init__(
        self, pack_dir: Path, python: str = sys.executable, *, explain_exceptions: bool = True
    ) -> None:
        """``explain_exceptions=False`` runs the pack exactly as the engine does: an excepted
        violation is not reported at all."""
        self.pack_dir = pack_dir = pack_dir.resolve()
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            raise PolicyPackError(f"{pack_dir}: no policy pack here (no PulumiPolicy.yaml)")
        self._process = subprocess.Popen(
            [python, "-u", str(pack_dir)],
            cwd=pack_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env={
                **{k: v for k, v in os.environ.items() if k != EXCEPTION_MARK_ENV},
                **({EXCEPTION_MARK_ENV: EXCEPTION_MARK} if explain_exceptions else {}),
            },
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
                rule_id=next((t.removeprefix(ID_TAG) for t in p.tags if t.startswith(ID_TAG)), ""),
                cis=p.framework.reference if p.HasField("framework") else "",
            )
            for p in self.info().policies
        ]

    def config_problems(self, config: Mapping[str, Mapping[str, Any]], source: str) -> list[str]:
        """Every problem of ``config`` for this pack (see ``config_problems``)."""
        return config_problems(config, self.info().policies, source)

    def configure(
        self, config: Mapping[str, Mapping[str, Any]], source: str = "policy config"
    ) -> None:
        """Send policy config as the engine does: ``{policy: {enforcementLevel?, ...props}}``.

        Checked first against the pack's own config schemas, as the Pulumi CLI does; every
        problem is one line naming ``source`` and the key (``PolicyConfigError``). Like the
        engine, a policy configured without an ``enforcementLevel`` keeps the level the pack
        gives it (the wire default would silently turn it into advisory).
        """
        info = self.info().policies
        problems = config_problems(config, info, source)
        if problems:
            raise PolicyConfigError(problems)
        own_levels = {p.name: p.enforcementLevel for p in info}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy, values in config.items():
            props = dict(values)
            level = props.pop("enforcementLevel", None)
            entry = request.policyConfig[policy]
            entry.enforcementLevel = own_levels[policy] if level is None else _LEVEL_VALUES[level]
            entry.properties.update(json.loads(json.dumps(props)))
        self._stub.Configure(request)

    def analyze(
        self,
        resource: RecordedResource,
        providers: Mapping[str, RecordedResource],
        checked: Mapping[str, struct_pb2.Struct] | None = None,
    ) -> list[Violation | AppliedException]:
        """``checked``: the resources' properties after Check, by URN, when already computed."""
        properties = (checked or {}).get(resource.urn)
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=properties or checked_struct(resource.type, resource.properties),
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
        )
        provider = providers.get(resource.provider_urn)
        if provider is not None:
            request.provider.CopyFrom(_provider(provider))
        return _violations(self._stub.Analyze(request), resource.urn)

    def analyze_stack(
        self,
        resources: Sequence[RecordedResource],
        providers: Mapping[str, RecordedResource],
        checked: Mapping[str, struct_pb2.Struct] | None = None,
    ) -> list[Violation | AppliedException]:
        request = analyzer_pb2.AnalyzeStackRequest()
        for resource in resources:
            properties = (checked or {}).get(resource.urn)
            item = request.resources.add(
                type=resource.type,
                properties=properties or checked_struct(resource.type, resource.properties),
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

    def findings(self, resources: Sequence[RecordedResource]) -> Findings:
        """Analyze each resource, then the stack, in the engine's order."""
        providers = {r.urn: r for r in resources if r.type.startswith("pulumi:providers:")}
        checked = {r.urn: checked_struct(r.type, r.properties) for r in resources}
        found: list[Violation | AppliedException] = []
        for resource in resources:
            found.extend(self.analyze(resource, providers, checked))
        found.extend(self.analyze_stack(resources, providers, checked))
        return Findings(
            violations=[f for f in found if isinstance(f, Violation)],
            exceptions=[f for f in found if isinstance(f, AppliedException)],
        )

    def check(self, resources: Sequence[RecordedResource]) -> list[Violation]:
        """The violations the engine would show (excepted ones are not among them)."""
        return self.findings(resources).violations


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


def _violations(
    response: analyzer_pb2.AnalyzeResponse, default_urn: str
) -> list[Violation | AppliedException]:
    found: list[Violation | AppliedException] = []
    for d in response.diagnostics:
        urn = d.urn or default_urn
        detail = d.message.partition("\n")[2]
        if detail.startswith(EXCEPTION_MARK):
            declared, _, message = detail.removeprefix(EXCEPTION_MARK).partition("\n")
            exemption = json.loads(declared)
            found.append(
                AppliedException(
                    policy=d.policyName,
                    urn=urn,
                    reason=exemption["reason"],
                    source=exemption["source"],
                    message=message,
                )
            )
            continue
        found.append(
            Violation(
                policy=d.policyName,
                level=_LEVELS.get(d.enforcementLevel, "advisory"),
                urn=urn,
                message=d.message,
            )
        )
    return found


def struct_from(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties for a hand-made resource (fixtures), in the engine's wire form."""
    struct = struct_pb2.Struct()
    struct.update(json.loads(json.dumps(properties)))
    return struct


def load_policy_config(path: Path | None) -> dict[str, dict[str, Any]]:
    """A ``--policy-pack-config`` JSON file; absent means the pack's own defaults.

    Bad JSON, or a shape the CLI would not take, is a ``PolicyConfigError`` naming the file.
    """
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise PolicyConfigError(
            [f"{path}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
        ) from None
    return normalize_policy_config(data, str(path))


def normalize_policy_config(data: Any, source: str) -> dict[str, dict[str, Any]]:
    """``{policy: level}`` or ``{policy: {...}}`` as ``{policy: {...}}``; shape errors raise."""
    if not isinstance(data, dict):
        raise PolicyConfigError(
            [f"{source}: must be a JSON object of policy names, not {_json_type(data)}"]
        )
    result: dict[str, dict[str, Any]] = {}
    problems = []
    for name, value in data.items():
        if isinstance(value, dict):
            result[name] = dict(value)
        elif isinstance(value, str):
            result[name] = {"enforcementLevel": value}
        else:
            problems.append(
                f"{source}: {name}: must be an enforcement level or an object, not "
                f"{_json_type(value)}"
            )
    if problems:
        raise PolicyConfigError(problems)
    return result


def merge_policy_config(
    base: Mapping[str, Mapping[str, Any]], over: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``over`` merged over ``base``: per policy, per key, ``over`` wins."""
    merged = {name: dict(values) for name, values in base.items()}
    for name, values in over.items():
        merged.setdefault(name, {}).update(values)
    return merged


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for name, types in (("an object", (dict,)), ("an array", (list,)), ("a string", (str,))):
        if isinstance(value, types):
            return name
    if isinstance(value, (int, float)):
        return "a number"
    return "null"


def _schema_problems(value: Any, schema: Mapping[str, Any], where: str) -> list[str]:
    """The JSON-schema checks the pack's schemas use: ``type``, ``items``,
    ``additionalProperties`` and ``properties`` (enough for them; not a general validator)."""
    expected = schema.get("type")
    if isinstance(expected, str) and expected in _JSON_TYPES:
        wrong = not isinstance(value, _JSON_TYPES[expected]) or (
            expected in ("integer", "number") and isinstance(value, bool)
        )
        if wrong:
            return [f"{where}: must be {expected}, not {_json_type(value)} ({json.dumps(value)})"]
    problems = []
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        for index, item in enumerate(value):
            problems += _schema_problems(item, items, f"{where}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if isinstance(properties, Mapping) and key in properties:
                problems += _schema_problems(item, properties[key], f"{where}.{key}")
            elif isinstance(extra, Mapping):
                problems += _schema_problems(item, extra, f"{where}.{key}")
    return problems


def config_problems(
    config: Mapping[str, Mapping[str, Any]],
    policies: Sequence[analyzer_pb2.PolicyInfo],
    source: str,
) -> list[str]:
    """Every problem of ``config`` for the pack whose policies are ``policies``, one line each:
    an unknown policy name or key, a bad enforcement level, a value of the wrong type."""
    by_name = {p.name: p for p in policies}
    problems = []
    for policy, values in config.items():
        info = by_name.get(policy)
        if info is None:
            problems.append(
                f"{source}: {policy}: no such policy in the pack (it has: "
                f"{', '.join(sorted(by_name))})"
            )
            continue
        schema = (
            json_format.MessageToDict(info.configSchema.properties)
            if info.HasField("configSchema")
            else {}
        )
        for key, value in values.items():
            where = f"{source}: {policy}.{key}"
            if key == "enforcementLevel":
                if value not in _LEVEL_VALUES:
                    problems.append(
                        f"{where}: {json.dumps(value)} is not a level; allowed: "
                        f"{', '.join(_LEVEL_VALUES)}"
                    )
            elif key not in schema:
                allowed = ", ".join(["enforcementLevel", *sorted(schema)])
                problems.append(f"{where}: no such key for this policy; allowed: {allowed}")
            else:
                problems += _schema_problems(value, schema[key], where)
    return problems


def mandatory(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.level == "mandatory"]
