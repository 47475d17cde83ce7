"""Generate the rule tables of ``policies/README.md`` from the pack itself.

Run ``.venv/bin/python policies/rules_table.py`` after adding or changing a policy: it starts
the pack (``python policies``), asks it over the analyzer protocol what it registers
(GetAnalyzerInfo: name, description, severity, enforcement level, config schema) and rewrites
the README between the ``<!-- rules:start -->``/``<!-- rules:end -->``,
``<!-- config:start -->``/``<!-- config:end -->`` and ``<!-- unknowns:start -->``/
``<!-- unknowns:end -->`` markers. ``--check`` only compares (exit status 1 on drift);
``tests/policies/test_rules_table.py`` does the same in the suite.

The protocol's PolicyInfo carries no resource types, so they come from the policy's module,
as the pack finds it (``lib.discovery``: the module named after the policy): its
``RESOURCE_TYPES`` tuple, which every policy module must declare. ``RESOURCE_TYPES = ("*",)``
means every resource type.
Shipped config values come from ``policy-config.json``; the unknown-value decision of each
rule is the part of its module docstring that starts with the first sentence about unknown
values.

This file is a development tool, not part of the pack: ``__main__.py`` never imports it, so
the pack still imports nothing from the program.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

PACK_DIR = Path(__file__).resolve().parent
ROOT = PACK_DIR.parent
README = PACK_DIR / "README.md"
CONFIG = PACK_DIR / "policy-config.json"
ALL_TYPES = "*"
EXCEPTIONS_KEY = "exceptions"

if str(ROOT) not in sys.path:  # run as `python policies/rules_table.py`
    sys.path.insert(0, str(ROOT))
if str(PACK_DIR) not in sys.path:  # the pack's modules import as the pack process does
    sys.path.insert(0, str(PACK_DIR))

from google.protobuf import json_format  # noqa: E402

from components.plan.policy_runner import PolicyPackProcess  # noqa: E402
from lib import discovery  # noqa: E402

_TYPE_TOKEN = re.compile(r"[a-z][a-z0-9-]*:[A-Za-z0-9/._-]*:[A-Za-z][A-Za-z0-9]*")
_POLICY_TYPES = {1: "resource", 2: "stack"}  # analyzer_pb2.PolicyType


class RulesTableError(Exception):
    """The README cannot be generated (missing markers, a policy without resource types)."""


@dataclass(frozen=True)
class Rule:
    name: str
    rule_id: str
    cis: str
    kind: str  # "resource" or "stack"
    resource_types: tuple[str, ...]
    severity: str
    level: str
    description: str
    config: tuple[tuple[str, str], ...]  # (key, JSON schema type) as the pack declares them
    unknowns: str


@functools.cache
def rule_modules() -> dict[str, ModuleType]:
    """Each policy's module, as the pack discovers them (``lib.discovery``)."""
    return {rule.name: rule.module for rule in discovery.discover(PACK_DIR)}


def module_for(policy: str) -> ModuleType:
    """The pack module that defines ``policy``."""
    modules = rule_modules()
    if policy not in modules:
        raise RulesTableError(f"no rule module of {PACK_DIR} defines policy {policy}")
    return modules[policy]


def resource_types(module: ModuleType) -> tuple[str, ...]:
    """The module's ``RESOURCE_TYPES``: every policy module declares the types it reads."""
    declared = getattr(module, "RESOURCE_TYPES", None)
    if not isinstance(declared, tuple) or not all(isinstance(t, str) for t in declared):
        return ()
    return declared


def _list_items(paragraph: str) -> list[str]:
    """The items of a ``*``/``-``/``1.`` list paragraph (empty when it is not a list)."""
    items: list[str] = []
    for line in paragraph.strip().splitlines():
        bullet = re.match(r"\s*(?:[*-]|\d+\.)\s+(.*)", line)
        if bullet:
            items.append(bullet.group(1))
        elif items:
            items[-1] += " " + line.strip()
        else:
            return []
    return [" ".join(item.split()) for item in items]


def unknown_value_decision(module: ModuleType) -> str:
    """The module docstring's account of unknown values, as Markdown.

    The paragraph that starts with "Unknown values", else the first paragraph about unknown
    values and deferring from its first sentence that mentions them, else the first one that
    mentions them at all; a paragraph ending with a colon brings the list after it.
    """
    paragraphs = re.split(r"\n\s*\n", module.__doc__ or "")
    flat = [" ".join(p.split()) for p in paragraphs]
    chosen = next((i for i, p in enumerate(flat) if p.lower().startswith("unknown value")), None)
    for words in (("nknown", "defer"), ("nknown",)):
        if chosen is None:
            chosen = next((i for i, p in enumerate(flat) if all(w in p for w in words)), None)
    if chosen is None:
        return ""
    text = flat[chosen]
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z`(])", text)
    first = next(i for i, sentence in enumerate(sentences) if "nknown" in sentence)
    text = " ".join(sentences[first:])
    if text.endswith(":"):
        for paragraph in paragraphs[chosen + 1 :]:
            items = _list_items(paragraph)
            if not items:
                break
            text += "".join(f"\n  - {item}" for item in items)
    return (text[:1].upper() + text[1:]).replace("``", "`")


def rules(pack: PolicyPackProcess) -> list[Rule]:
    """Every policy the running pack registers, in the pack's order."""
    described = {p.name: p for p in pack.policies()}
    result = []
    for info in pack.info().policies:
        policy = described[info.name]
        module = module_for(info.name)
        types = resource_types(module)
        if not policy.rule_id:
            raise RulesTableError(
                f"policy {info.name} has no stable id: build it with lib.rule's factories"
            )
        if not types:
            raise RulesTableError(
                f"policy {info.name}: module {module.__name__} declares no RESOURCE_TYPES; "
                "add `RESOURCE_TYPES = (...)` with the type tokens it reads"
            )
        schema: dict[str, Any] = (
            json_format.MessageToDict(info.configSchema.properties)
            if info.HasField("configSchema")
            else {}
        )
        # `exceptions` is every rule's (lib.exceptions), explained once in the README.
        config = tuple(
            (key, _schema_type(value)) for key, value in schema.items() if key != EXCEPTIONS_KEY
        )
        result.append(
            Rule(
                name=info.name,
                rule_id=policy.rule_id,
                cis=policy.cis,
                kind=_POLICY_TYPES.get(info.policy_type, "resource"),
                resource_types=types,
                severity=policy.severity,
                level=policy.level,
                description=" ".join(policy.description.split()),
                config=config,
                unknowns=unknown_value_decision(module),
            )
        )
    return result


def _schema_type(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {_schema_type(schema.get('items'))}"
    return kind


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _types_cell(rule: Rule) -> str:
    if rule.resource_types == (ALL_TYPES,):
        types = "every resource"
    else:
        types = "<br>".join(f"`{t}`" for t in rule.resource_types)
    return f"{types}<br>(stack policy)" if rule.kind == "stack" else types


def rules_markdown(rules_: Sequence[Rule]) -> str:
    lines = [
        "| id | rule | CIS Docker | resource types | severity | level | what it checks |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in sorted(rules_, key=lambda r: r.rule_id):
        lines.append(
            f"| {rule.rule_id} | `{rule.name}` | {rule.cis or '-'} | {_types_cell(rule)} | "
            f"{rule.severity} | {rule.level} | {_cell(rule.description)} |"
        )
    return "\n".join(lines)


def config_markdown(rules_: Sequence[Rule], shipped: dict[str, Any]) -> str:
    lines = [
        "| rule | key | type | value in `policy-config.json` |",
        "|---|---|---|---|",
    ]
    for rule in rules_:
        values = shipped.get(rule.name)
        values = values if isinstance(values, dict) else {}
        for key, type_ in sorted(rule.config):
            value = f"`{json.dumps(values[key])}`" if key in values else "(not set: module default)"
            lines.append(f"| `{rule.name}` | `{key}` | {type_} | {_cell(value)} |")
    if len(lines) == 2:
        lines.append("| (none) | | | |")
    return "\n".join(lines)


def unknowns_markdown(rules_: Sequence[Rule]) -> str:
    return "\n".join(
        f"- `{rule.name}`: {rule.unknowns or '(no decision written in the module docstring)'}"
        for rule in rules_
    )


SECTIONS = ("rules", "config", "unknowns")


def sections(pack: PolicyPackProcess, config_path: Path = CONFIG) -> dict[str, str]:
    """The generated text of each README section, from the running pack."""
    found = rules(pack)
    shipped = json.loads(config_path.read_text()) if config_path.exists() else {}
    return {
        "rules": rules_markdown(found),
        "config": config_markdown(found, shipped),
        "unknowns": unknowns_markdown(found),
    }


def _marker_pattern(section: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {section}:start -->\n)(.*?)(\n?<!-- {section}:end -->)", re.DOTALL)


def current_sections(readme: str) -> dict[str, str]:
    """The text between each section's markers in ``readme``."""
    result = {}
    for section in SECTIONS:
        match = _marker_pattern(section).search(readme)
        if match is None:
            raise RulesTableError(f"README has no <!-- {section}:start/end --> markers")
        result[section] = match.group(2).strip("\n")
    return result


def rewrite(readme: str, generated: dict[str, str]) -> str:
    """``readme`` with the text between each section's markers replaced."""
    current_sections(readme)  # every marker is there
    for section, text in generated.items():
        match = _marker_pattern(section).search(readme)
        assert match is not None
        readme = f"{readme[: match.end(1)]}{text}\n{readme[match.start(3) :].lstrip(chr(10))}"
    return readme


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    parser.add_argument("--readme", type=Path, default=README)
    options = parser.parse_args(argv)
    readme = options.readme.read_text()
    with PolicyPackProcess(PACK_DIR) as pack:
        generated = sections(pack)
    updated = rewrite(readme, generated)
    if options.check:
        if updated != readme:
            print(f"{options.readme} is out of date: run python policies/rules_table.py")
            return 1
        return 0
    if updated != readme:
        options.readme.write_text(updated)
        print(f"{options.readme}: rule tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
