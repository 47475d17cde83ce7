"""Which resources a config change would replace: two recorded runs against the ForceNew table.

The program runs twice under the mock runtime (components.plan.run_program), once per config.
For each resource (matched by URN) the changed input paths are the leaves that differ, plus
every leaf that held an output of a resource being replaced which a new resource gets anew
(tests/provider_facts/outputs.py: its id, unless the id is made of an input, and outputs such
as a container's MAC). Paths under the resource's ``ignoreChanges`` are dropped, as the engine
does before asking the provider for a diff; a changed path under a ForceNew rule whose
condition holds replaces the resource, and so does one under the resource's own
``replaceOnChanges``, as the engine turns such an update into a replacement. ``replace`` names
resources replaced whatever changed, as ``pulumi up --replace`` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.plan import RecordedResource, read_stack_config, run_program
from components.plan.recording import mock_outputs
from tests.provider_facts.force_new import in_scope, rules_for
from tests.provider_facts.outputs import outputs_of

ROOT = Path(__file__).resolve().parents[2]
_INDEX = re.compile(r"\[\d+\]")


@dataclass
class Change:
    replaced: dict[str, list[str]] = field(default_factory=dict)  # name -> reasons
    updated: dict[str, list[str]] = field(default_factory=dict)  # name -> changed paths
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def stack_config(stack: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The stack file's ``platform:*`` values decoded from JSON, and its secret keys."""
    config = read_stack_config(ROOT / f"Pulumi.{stack}.yaml")
    values = {key: _decode(text) for key, text in config.values.items()}
    return values, frozenset(config.secret_keys)


def record(
    values: Mapping[str, Any], secret_keys: frozenset[str], *, stack: str = "prod"
) -> list[RecordedResource]:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    run = run_program(
        ROOT / "__main__.py",
        project="selfhosted-platform",
        stack=stack,
        config=encoded,
        secret_keys=secret_keys,
    )
    if run.error is not None:
        raise run.error
    return run.resources


def compare(
    before: list[RecordedResource],
    after: list[RecordedResource],
    *,
    honour_ignore: bool = True,
    replace: frozenset[str] = frozenset(),
) -> Change:
    old_by_urn = {resource.urn: resource for resource in before}
    new_urns = {resource.urn for resource in after}
    change = Change(deleted=[r.name for r in before if r.urn not in new_urns and in_scope(r.type)])
    renewed: set[str] = set()  # values a replaced resource's successor gets anew
    for resource in after:  # registration order: a dependency is registered before its users
        if not in_scope(resource.type):
            continue
        old = old_by_urn.get(resource.urn)
        if old is None:
            change.created.append(resource.name)
            continue
        old_leaves, new_leaves = _leaves(old.inputs), _leaves(resource.inputs)
        changed = {
            path
            for path in old_leaves.keys() | new_leaves.keys()
            if old_leaves.get(path) != new_leaves.get(path)
            or _id_text(new_leaves.get(path)) in renewed
        }
        ignored = resource.ignore_changes if honour_ignore else []
        changed = {path for path in changed if not any(_under(path, i) for i in ignored)}
        reasons = [
            f"{path}: {rule.source}"
            for path in sorted(changed)
            for rule in rules_for(resource.type)
            if _under(_INDEX.sub("[]", path), rule.path)
            and rule.when(old_leaves.get(path), new_leaves.get(path))
        ] + [
            f"{path}: replaceOnChanges {option}"
            for path in sorted(changed)
            for option in resource.replace_on_changes
            if _under(path, option)
        ]
        if resource.name in replace:
            reasons.append("pulumi up --replace")
        if reasons:
            change.replaced[resource.name] = reasons
            renewed |= renewed_values(old)
        elif changed:
            change.updated[resource.name] = sorted(changed)
    return change


def renewed_values(resource: RecordedResource) -> set[str]:
    """The values ``resource`` had that a new resource in its place gets anew: its id unless
    the id is made of an input, and its ``fresh`` outputs (tests/provider_facts/outputs.py),
    as the offline plan's mocks answered them."""
    facts = outputs_of(resource.type)
    _, outputs = mock_outputs(resource.type, resource.name, resource.inputs)
    leaves = _leaves(outputs)
    values = {resource.id} if facts.id_from is None else set()
    for fresh in facts.fresh:
        values |= {str(value) for path, value in leaves.items() if _INDEX.sub("[]", path) == fresh}
    return values


def _id_text(value: Any) -> str | None:
    """An id as text: a string, or a number a program converted an id to (a server's id as
    an int in a volume attachment); protobuf sends numbers as doubles."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, item in enumerate(value):
            out.update(_leaves(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
