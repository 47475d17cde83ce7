"""Policy factories: what every rule declares once, so a rule module is its decision and docs.

``resource_rule`` and ``stack_rule`` build the SDK's policies from:

* a stable ``rule_id`` (never reused, never renumbered) and, where one exists, the CIS Docker
  Benchmark (v1.6.0) recommendation ``cis``: both travel in the policy's registration (tags
  ``id:<rule_id>`` and the SDK's compliance ``framework``), so the generated rules table and
  any engine read them from the pack itself;
* the resource types the rule reads (the validation is called for those types only);
* the rule's own config properties, to which the factory adds ``exceptions``;
* the validation, ``(args, report_violation)`` as the SDK defines it; ``each_detail`` makes
  one of a reader that yields a violation detail at a time.

Every violation goes through ``lib.exceptions``: a resource that declares an exception to the
rule, with a reason, is not reported (see there for the offline plan's explain mode). Unknown
values are the SDK's: a read of an unknown value raises, and the SDK reports the rule as not
run (advisory) for that resource, keeping what was reported before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, Unpack

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from lib import exceptions

ALL_TYPES = "*"
CIS_DOCKER = "CIS Docker Benchmark"
CIS_DOCKER_VERSION = "1.6.0"
ID_TAG = "id:"

ResourceValidation = Callable[[ResourceValidationArgs, ReportViolation], None]
StackValidation = Callable[[StackValidationArgs, ReportViolation], None]
Details = Callable[[ResourceValidationArgs], Iterable[str]]


@dataclass(frozen=True)
class RuleInfo:
    """What the protocol does not carry: the types a rule reads (for the rules table)."""

    name: str
    rule_id: str
    resource_types: tuple[str, ...]


REGISTRY: dict[str, RuleInfo] = {}


def _register(name: str, rule_id: str, resource_types: tuple[str, ...]) -> None:
    taken = {info.rule_id: info.name for info in REGISTRY.values()}
    if rule_id in taken and taken[rule_id] != name:
        raise ValueError(f"rule id {rule_id} of {name} is already {taken[rule_id]}'s")
    REGISTRY[name] = RuleInfo(name, rule_id, resource_types)


def _schema(config: Mapping[str, Any] | None) -> PolicyConfigSchema:
    return PolicyConfigSchema(
        properties={**(config or {}), exceptions.CONFIG_KEY: exceptions.CONFIG_SCHEMA}
    )


def _framework(cis: str | None) -> PolicyComplianceFramework | None:
    if cis is None:
        return None
    return PolicyComplianceFramework(name=CIS_DOCKER, version=CIS_DOCKER_VERSION, reference=cis)


def _excepting(
    rule: str,
    report_violation: ReportViolation,
    *,
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    config: Callable[[], Mapping[str, Any] | None],
    urn: str | None,
) -> Callable[[str], None]:
    """A reporter for one resource that applies its declared exception, read on first use
    (a compliant resource costs no label or config lookup)."""
    found: list[exceptions.Exemption | None] = []
    mark = exceptions.EXPLAIN_MARK

    def report(message: str) -> None:
        if not found:
            found.append(exceptions.declared(rule, resource_type, name, props, config()))
        exemption = found[0]
        if exemption is None:
            report_violation(message, urn)
        elif not exemption.reason:
            report_violation(
                f"{message} The exception ({exemption.source}) gives no reason, so it does not "
                "apply.",
                urn,
            )
        elif mark:
            report_violation(exemption.marked(mark, message), urn)

    return report


class Declaration(TypedDict):
    """What a rule declares, the same for both factories (see the module docstring)."""

    name: str
    rule_id: str
    description: str
    level: EnforcementLevel
    severity: Severity
    remediation: str
    resource_types: tuple[str, ...]
    cis: NotRequired[str | None]
    config: NotRequired[Mapping[str, Any] | None]


def _policy_arguments(rule: Declaration) -> dict[str, Any]:
    """The SDK policy's arguments for a declared rule, once the rule is registered."""
    _register(rule["name"], rule["rule_id"], rule["resource_types"])
    return {
        "name": rule["name"],
        "description": rule["description"],
        "enforcement_level": rule["level"],
        "config_schema": _schema(rule.get("config")),
        "severity": rule["severity"],
        "remediation_steps": rule["remediation"],
        "framework": _framework(rule.get("cis")),
        "tags": [ID_TAG + rule["rule_id"]],
    }


def resource_rule(
    *, validate: ResourceValidation, **rule: Unpack[Declaration]
) -> ResourceValidationPolicy:
    arguments = _policy_arguments(rule)
    name, resource_types = rule["name"], rule["resource_types"]
    every_type = resource_types == (ALL_TYPES,)

    def checked(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not every_type and args.resource_type not in resource_types:
            return
        report = _excepting(
            name,
            report_violation,
            resource_type=args.resource_type,
            name=args.name,
            props=args.props,
            config=args.get_config,
            urn=None,
        )

        def report_violation_here(message: str, _urn: str | None = None) -> None:
            report(message)  # a resource rule reports on its own resource

        validate(args, report_violation_here)

    return ResourceValidationPolicy(validate=checked, **arguments)


def stack_rule(*, validate: StackValidation, **rule: Unpack[Declaration]) -> StackValidationPolicy:
    """A stack rule reports with the URN of the resource in violation (never without one)."""
    arguments = _policy_arguments(rule)
    name = rule["name"]

    def checked(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        by_urn: dict[str, PolicyResource] = {r.urn: r for r in args.resources}
        reporters: dict[str, Callable[[str], None]] = {}

        def report(message: str, urn: str | None = None) -> None:
            resource = by_urn.get(urn or "")
            if resource is None:
                report_violation(message, urn)
                return
            if resource.urn not in reporters:
                reporters[resource.urn] = _excepting(
                    name,
                    report_violation,
                    resource_type=resource.resource_type,
                    name=resource.name,
                    props=resource.props,
                    config=args.get_config,
                    urn=resource.urn,
                )
            reporters[resource.urn](message)

        validate(args, report)

    return StackValidationPolicy(validate=checked, **arguments)


def each_detail(details: Details) -> ResourceValidation:
    """The validation that reports one violation per detail ``details`` yields for a resource,
    as they come (those before an unknown value stay reported)."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for detail in details(args):
            report_violation(detail, None)

    return validate
