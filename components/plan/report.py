"""Human-readable plan output: the resource tree, then the policy report."""

from __future__ import annotations

from collections import defaultdict

from . import PlanResult
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


def render_report(result: PlanResult) -> str:
    lines = [f"Stack {result.stack}: {len(result.resources)} resources", ""]
    lines += render_tree(result.resources)
    lines.append("")
    if not result.violations:
        lines.append("Policies: no violations")
    else:
        counts: dict[str, int] = defaultdict(int)
        for violation in result.violations:
            counts[violation.level] += 1
        summary = ", ".join(f"{n} {level}" for level, n in sorted(counts.items()))
        lines.append(f"Policies: {summary}")
        for violation in result.violations:
            lines.append(f"  [{violation.level}] {violation.policy}  {violation.urn}")
            lines += [f"      {text}" for text in violation.message.splitlines()]
    return "\n".join(lines)
