"""Rule discovery: the pack is every rule module of its directory, found without a list.

A rule module is a top-level module of the pack directory (not ``__main__``, not the
development tool ``rules_table``, not the ``lib`` package) that exports, under its own module
name, the policy it builds: ``policies/uplink_single_mac.py`` defines ``uplink_single_mac =
stack_rule(name="uplink-single-mac", ...)``. So adding a rule is adding its module. Other
top-level modules (none today) are imported and left out of the pack.

Mistakes stop the pack before it serves (``DiscoveryError``, one line per problem) instead of
dropping a rule silently: a module whose policy is not named after it (the rules table and the
test cases find a rule's module and case file by its name), and a policy built by the
``lib.rule`` factories that no module exports under its module name (a misspelt variable).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pulumi_policy import Policy

from lib.rule import REGISTRY

PACK_DIR = Path(__file__).resolve().parents[1]
NOT_RULES = frozenset({"__main__", "rules_table"})


class DiscoveryError(Exception):
    """The pack's modules break the rule-module convention; one line per problem."""


@dataclass(frozen=True)
class RuleModule:
    module: ModuleType
    policy: Policy

    @property
    def name(self) -> str:
        return self.policy.name


def module_name(policy: str) -> str:
    """The module of a policy: its name with ``_`` for ``-``."""
    return policy.replace("-", "_")


def top_level_modules(pack_dir: Path = PACK_DIR) -> list[str]:
    """The pack directory's top-level modules that may hold rules, sorted by name."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(pack_dir)])
        if not info.ispkg and info.name not in NOT_RULES
    )


def discover(pack_dir: Path = PACK_DIR) -> list[RuleModule]:
    """Every rule module of ``pack_dir`` and its policy, sorted by policy name."""
    if str(pack_dir) not in sys.path:  # the pack process runs with it first on the path
        sys.path.insert(0, str(pack_dir))
    found: list[RuleModule] = []
    misnamed: set[str] = set()
    problems: list[str] = []
    for name in top_level_modules(pack_dir):
        module = importlib.import_module(name)
        policy = getattr(module, name, None)
        if not isinstance(policy, Policy):
            continue
        if module_name(policy.name) != name:
            problems.append(
                f"{name}.py defines policy {policy.name}: a rule module is named after its "
                f"policy ({module_name(policy.name)}.py)"
            )
            misnamed.add(policy.name)
            continue
        found.append(RuleModule(module, policy))
    exported = {rule.name for rule in found} | misnamed
    for info in sorted(REGISTRY.values(), key=lambda i: i.name):
        if info.name not in exported:
            problems.append(
                f"policy {info.name} is built but not exported: its module "
                f"{module_name(info.name)}.py must define `{module_name(info.name)} = ...`"
            )
    if problems:
        raise DiscoveryError("\n".join(problems))
    return sorted(found, key=lambda rule: rule.name)


def policies(pack_dir: Path = PACK_DIR) -> list[Policy]:
    """The pack's policies, in a stable order (by name)."""
    return [rule.policy for rule in discover(pack_dir)]
