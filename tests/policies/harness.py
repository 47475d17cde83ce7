"""One data-driven harness for the rules: each rule's cases are data, run through the real pack.

A case module in ``tests/policies/cases/`` defines ``CASES = RuleCases(...)``: the rule's
name, its level, the policy config it runs with, and resources named ``pass_*``, ``fail_*``,
``unknown_*`` or ``except_*``, each with exactly what THIS rule reports on it:

* ``passes(r)``: nothing;
* ``fails(r, *details)``: these violation messages (after the description line), in order;
* ``unknown(r, path, *details)``: the details reported before the unknown value, then the
  SDK's "can't run ... during preview" advisory naming ``path``;
* ``excepted(r, reason, source, *details)``: nothing reported, and the offline plan's
  explain mode lists these details as excepted with the reason and where it was declared.

``test_rules.py`` analyzes every case of a rule in one stack (with ``RuleCases.stack``, the
other resources they need) through ``PolicyPackProcess`` (the provider defaults applied, as
the engine sends them after Check) and compares the rule's own diagnostics only, so adding a
rule never means editing another rule's cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from components.plan.recording import RecordedResource

PREFIXES = ("pass_", "fail_", "unknown_", "except_")


@dataclass(frozen=True)
class Case:
    resource: RecordedResource
    details: tuple[str, ...] = ()
    unknown_path: str = ""
    reason: str = ""
    source: str = ""


@dataclass(frozen=True)
class RuleCases:
    policy: str
    level: str  # "mandatory" or "advisory", as the pack registers the rule
    cases: Sequence[Case]
    stack: Sequence[RecordedResource] = ()
    config: Mapping[str, Any] = field(default_factory=dict)


def passes(resource: RecordedResource) -> Case:
    return Case(resource)


def fails(resource: RecordedResource, *details: str) -> Case:
    assert details, "a failing case names its messages"
    return Case(resource, details)


def unknown(resource: RecordedResource, path: str, *details: str) -> Case:
    return Case(resource, details, unknown_path=path)


def excepted(resource: RecordedResource, reason: str, source: str, *details: str) -> Case:
    assert details, "an excepted case names the messages it would have had"
    return Case(resource, details, reason=reason, source=source)


def label_source(policy: str) -> str:
    return f"label selfhosted.policy.except.{policy}"


def except_label(policy: str, reason: str) -> dict[str, str]:
    """A Docker label entry (pulumi-docker's ``{label, value}``) excepting ``policy``."""
    return {"label": f"selfhosted.policy.except.{policy}", "value": reason}


def named(resource: RecordedResource, name: str) -> RecordedResource:
    """``resource`` under another name (and URN): the same declaration as another case."""
    return replace(resource, name=name, urn=resource.urn.rpartition("::")[0] + "::" + name)
