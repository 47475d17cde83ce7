"""Human-readable plan output: the resource tree, the stack outputs, the policy report and a
summary. Everything is sorted, so two plans of one stack are byte-identical."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from . import PlanResult
from .policy_runner import Violation
from .recording import RecordedResource


def render_tree(resources: list[RecordedResource]) -> list[str]:
    children: dict[str, list[RecordedResource]] = defaultdict(list)
    urns = {r.urn for r in resources}
    roots = []
    for resource in resources:
        if resource.parent and resource.parent in urns:
            children[resource.parent].append(resource)
        else:
            roots.append(resource)
    lines: list[str] = []
    order = {r.urn: (r.type, r.name) for r in resources}
    roots.sort(key=lambda r: order[r.urn])
    for kids in children.values():
        kids.sort(key=lambda r: order[r.urn])

    def walk(resource: RecordedResource, prefix: str, last: bool, top: bool) -> None:
        flags = " [protected]" if resource.protect else ""
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(f"{prefix}{branch}{resource.type}  {resource.name}{flags}")
        kids = children[resource.urn]
        deeper = prefix + ("" if top else ("   " if last else "│  "))
        for index, kid in enumerate(kids):
            walk(kid, deeper, index == len(kids) - 1, False)

    for root in roots:
        walk(root, "", True, True)
    return lines


def _where(urn: str, config_path: str) -> str:
    return f"{urn}  (from {config_path})" if config_path else urn


def render_report(result: PlanResult) -> str:
    """The tree, then the findings grouped by policy: its id, level and description once, then
    one line per resource (with the stack config key it came from, when the stack says), then
    the exceptions applied, each with its reason."""
    lines = [f"Stack {result.stack}: {len(result.resources)} resources", ""]
    lines += render_tree(result.resources)
    lines.append("")
    if result.outputs:
        lines.append("Outputs:")
        for key, value in sorted(result.outputs.items()):
            lines.append(f"  {key}: {json.dumps(value, sort_keys=True)}")
        lines.append("")
    described = {p.name: p for p in result.policies}
    if not result.violations:
        lines.append("Policies: no violations")
    else:
        counts: dict[str, int] = defaultdict(int)
        by_policy: dict[str, list[Violation]] = defaultdict(list)
        for violation in sorted(result.violations, key=lambda v: (v.policy, v.urn)):
            counts[violation.level] += 1
            by_policy[violation.policy].append(violation)
        summary = ", ".join(f"{n} {level}" for level, n in sorted(counts.items()))
        lines.append(f"Policies: {summary}")
        for policy, found in sorted(by_policy.items()):
            info = described.get(policy)
            rule_id = f"{info.rule_id} " if info and info.rule_id else ""
            levels = "/".join(sorted({v.level for v in found}))
            lines.append(f"  [{levels}] {rule_id}{policy}")
            if info is not None:
                lines.append(f"      {info.description}")
            for violation in found:
                lines.append(f"    - {_where(violation.urn, violation.config_path)}")
                lines += [f"        {text}" for text in violation.detail.splitlines()]
    if result.exceptions:
        lines.append("")
        lines.append(f"Exceptions applied: {len(result.exceptions)}")
        for exception in sorted(result.exceptions, key=lambda e: (e.policy, e.urn)):
            lines.append(f"  {exception.policy}  {_where(exception.urn, exception.config_path)}")
            lines.append(f"      reason: {exception.reason}  ({exception.source})")
            lines += [f"      excepted: {text}" for text in exception.message.splitlines()]
    lines += ["", *_summary(result)]
    return "\n".join(lines)


def _summary(result: PlanResult) -> list[str]:
    types = Counter(r.type for r in result.resources)
    levels = Counter(v.level for v in result.violations)
    lines = ["Summary:", f"  resources: {len(result.resources)}"]
    lines += [f"    {count:>4}  {type_}" for type_, count in sorted(types.items())]
    findings = ", ".join(f"{levels[level]} {level}" for level in sorted(levels)) or "none"
    lines.append(f"  violations: {findings}")
    lines.append(f"  exceptions applied: {len(result.exceptions)}")
    return lines
