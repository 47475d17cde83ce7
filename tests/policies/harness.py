"""One data-driven harness for the rules: each rule's cases are data, run through the real pack.

A rule's cases live in ``tests/policies/cases/<module>.py``, the module named after the rule
(``uplink_single_mac.py`` holds ``uplink-single-mac``'s cases: the file name is where the case
file takes the rule's name from, see ``policy_of``). It defines ``CASES``: one ``RuleCases``,
or several (``variant`` names each) when the rule runs with different policy configs. The
rule's level is the pack's own (or the config's ``enforcementLevel``).

``RuleCases.cases`` are resources named ``pass_*``, ``fail_*``, ``unknown_*`` or ``except_*``,
analyzed together in one stack (with ``RuleCases.stack``, the other resources they need), each
with exactly what THIS rule reports on it:

* ``passes(r)``: nothing;
* ``fails(r, *details)``: these violation messages (after the description line), in order;
* ``unknown(r, path, *details)``: the details reported before the unknown value, then the
  SDK's "can't run ... during preview" advisory naming ``path``;
* ``excepted(r, reason, source, *details)``: nothing reported, and the offline plan's
  explain mode lists these details as excepted with the reason and where it was declared.

``RuleCases.stacks`` are whole-stack cases, for stack policies (validateStack), each a stack
analyzed on its own (``pass_*``, ``fail_*`` or ``unknown_*``): what the rule reports on which
resource, in order, and, for ``unknown_*``, the one stack-wide not-run advisory (no URN) the SDK
sends when the policy meets an unknown value, after what it reported before that value:

* ``stack_passes(name, resources)``: the rule reports nothing;
* ``stack_fails(name, resources, (resource, detail), ...)``: these violations, in order;
* ``stack_unknown(name, resources, path, (resource, detail), ...)``: these, then the advisory.

A stack case also compares the other rules' diagnostics (``others``: (policy, resource,
detail), in order; none by default), so a stack that trips only this rule proves it; ``None``
leaves them out.

``test_rules.py`` runs them through ``PolicyPackProcess`` (the provider defaults applied, as
the engine sends them after Check). Resource cases compare the rule's own diagnostics only, so
adding a rule never means editing another rule's cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from components.plan.recording import RecordedResource

PREFIXES = ("pass_", "fail_", "unknown_", "except_")
STACK_PREFIXES = ("pass_", "fail_", "unknown_")
STACK_WIDE = ""  # the resource a stack-wide diagnostic names: none

Report = tuple[str, str]  # (resource name, detail)
OtherReport = tuple[str, str, str]  # (policy, resource name, detail)


def policy_of(module: str) -> str:
    """The rule a case module is for: its module name (``__name__``) with ``-`` for ``_``."""
    return module.rpartition(".")[2].replace("_", "-")


@dataclass(frozen=True)
class Case:
    resource: RecordedResource
    details: tuple[str, ...] = ()
    unknown_path: str = ""
    reason: str = ""
    source: str = ""


@dataclass(frozen=True)
class StackCase:
    name: str
    resources: Sequence[RecordedResource]
    reports: tuple[Report, ...] = ()
    unknown_path: str = ""
    others: tuple[OtherReport, ...] | None = ()


@dataclass(frozen=True)
class RuleCases:
    cases: Sequence[Case] = ()
    stack: Sequence[RecordedResource] = ()
    stacks: Sequence[StackCase] = ()
    # The rule's policy config; or, with pack_config, the whole pack's (as the engine sends it).
    config: Mapping[str, Any] = field(default_factory=dict)
    pack_config: Mapping[str, Mapping[str, Any]] | None = None
    variant: str = ""  # names this set when a rule has several (other configs)


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


def stack_passes(
    name: str,
    resources: Sequence[RecordedResource],
    *,
    others: tuple[OtherReport, ...] | None = (),
) -> StackCase:
    return StackCase(name, list(resources), others=others)


def stack_fails(
    name: str,
    resources: Sequence[RecordedResource],
    *reports: Report,
    others: tuple[OtherReport, ...] | None = (),
) -> StackCase:
    assert reports, "a failing stack case names its messages"
    return StackCase(name, list(resources), reports, others=others)


def stack_unknown(
    name: str,
    resources: Sequence[RecordedResource],
    path: str,
    *reports: Report,
    others: tuple[OtherReport, ...] | None = (),
) -> StackCase:
    return StackCase(name, list(resources), reports, unknown_path=path, others=others)


def not_run_detail(path: str) -> str:
    """What the SDK says of an unknown (string) value at ``path`` (``.a.0.b``)."""
    return f"string value at {path} can't be known during preview"


def label_source(policy: str) -> str:
    return f"label selfhosted.policy.except.{policy}"


def except_label(policy: str, reason: str) -> dict[str, str]:
    """A Docker label entry (pulumi-docker's ``{label, value}``) excepting ``policy``."""
    return {"label": f"selfhosted.policy.except.{policy}", "value": reason}


def named(resource: RecordedResource, name: str) -> RecordedResource:
    """``resource`` under another name (and URN): the same declaration as another case."""
    return replace(resource, name=name, urn=resource.urn.rpartition("::")[0] + "::" + name)
