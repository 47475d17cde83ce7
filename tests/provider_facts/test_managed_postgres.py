"""Day 2 of jupiter-hybrid's managed PostgreSQL, against the provider's ForceNew table
(tests/provider_facts/managed_postgres.py): what an edit of platform:databases replaces."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest

from components.plan import RecordedResource
from tests.provider_facts.force_new import in_scope, rules_for
from tests.provider_facts.managed_postgres import (
    CLUSTER_IN_PLACE,
    DO_DATABASE_CLUSTER,
    FIREWALL_RULE_TYPES,
    FORCE_NEW_PATHS,
)
from tests.provider_facts.replacement import Change, compare, record, stack_config

STACK = "jupiter-hybrid"
CLUSTER = "main-database-cluster"


@cache
def _baseline() -> tuple[dict[str, Any], frozenset[str], tuple[RecordedResource, ...]]:
    values, secrets = stack_config(STACK)
    return values, secrets, tuple(record(values, secrets, stack=STACK))


def _change(key: str, value: Any) -> Change:
    values, secrets, before = _baseline()
    edited = copy.deepcopy(values)
    edited["platform:databases"]["main"][key] = value
    return compare(list(before), record(edited, secrets, stack=STACK))


@pytest.mark.parametrize(
    ("key", "value", "path"),
    [
        ("region", "ams3", "region"),
        ("size", "db-s-2vcpu-4gb", "size"),
        ("nodes", 2, "nodeCount"),
        ("version", "17", "version"),
    ],
)
def test_routine_cluster_edits_update_it_in_place(key: str, value: Any, path: str) -> None:
    change = _change(key, value)
    assert change.replaced == {}
    assert change.updated == {CLUSTER: [path]}
    assert path in CLUSTER_IN_PLACE


def test_a_new_database_name_replaces_the_database_only() -> None:
    change = _change("database", "jupiter2")
    assert set(change.replaced) == {"main-database-db"}
    assert CLUSTER not in change.updated


def test_a_new_cluster_name_would_replace_the_cluster_which_is_protected() -> None:
    change = _change("name", "jupiter-pg2")
    assert CLUSTER in change.replaced
    (cluster,) = [r for r in _baseline()[2] if r.name == CLUSTER]
    assert cluster.protect  # so `pulumi up` refuses instead of deleting the data


def test_every_database_type_of_the_stack_is_in_the_table() -> None:
    declared = {r.type for r in _baseline()[2] if r.custom and in_scope(r.type)}
    assert set(FORCE_NEW_PATHS) <= declared
    for type_ in declared:
        rules_for(type_)
    assert [rule.path for rule in rules_for(DO_DATABASE_CLUSTER)] == [
        "name",
        "engine",
        "privateNetworkUuid",
        "projectId",
    ]


def test_the_firewall_rule_type_is_one_the_provider_accepts() -> None:
    (firewall,) = [r for r in _baseline()[2] if r.name == "main-database-firewall"]
    _, accepted = FIREWALL_RULE_TYPES
    assert {rule["type"] for rule in firewall.inputs["rules"]} <= set(accepted)
