"""jupiter-hybrid's managed PostgreSQL under the mock runtime: the cluster as the stack file
declares it (protected), one database firewall trusting only the droplet's IPv4 address, and
pgBouncer's files fed from the cluster (its CA, host and generated user password)."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from components.plan import RecordedResource
from tests.provider_facts.managed_postgres import (
    DO_DATABASE_CLUSTER,
    DO_DATABASE_DB,
    DO_DATABASE_FIREWALL,
    DO_DATABASE_USER,
)
from tests.provider_facts.replacement import record, stack_config
from tests.stacks import ROOT, is_secret

STACK = "jupiter-hybrid"


@cache
def _resources() -> tuple[RecordedResource, ...]:
    values, secrets = stack_config(STACK)
    return tuple(record(values, secrets, stack=STACK))


def _config(key: str) -> Any:
    return yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())["config"][key]


def _of_type(type_: str) -> list[RecordedResource]:
    return [r for r in _resources() if r.type == type_]


def _one(type_: str) -> RecordedResource:
    (resource,) = _of_type(type_)
    return resource


def test_the_cluster_is_the_stack_files_and_protected() -> None:
    main = _config("platform:databases")["main"]
    cluster = _one(DO_DATABASE_CLUSTER)
    assert cluster.protect
    inputs = cluster.inputs
    assert inputs["engine"] == "pg"
    assert (inputs["name"], inputs["region"], inputs["size"]) == (
        main["name"],
        main["region"],
        main["size"],
    )
    assert (inputs["version"], inputs["nodeCount"]) == (main["version"], main["nodes"])
    assert "privateNetworkUuid" not in inputs  # the firewall restricts it (below)


def test_database_and_user_are_the_stack_files_on_the_cluster() -> None:
    main = _config("platform:databases")["main"]
    cluster = _one(DO_DATABASE_CLUSTER)
    for type_, name in ((DO_DATABASE_DB, main["database"]), (DO_DATABASE_USER, main["user"])):
        resource = _one(type_)
        assert resource.inputs["name"] == name
        assert resource.property_dependencies["clusterId"] == [cluster.urn]


def test_one_firewall_trusts_only_the_droplets_ipv4_address() -> None:
    firewall = _one(DO_DATABASE_FIREWALL)
    cluster = _one(DO_DATABASE_CLUSTER)
    (droplet,) = [r for r in _resources() if r.type == "digitalocean:index/droplet:Droplet"]
    assert firewall.property_dependencies["clusterId"] == [cluster.urn]
    rules = firewall.inputs["rules"]
    assert [rule["type"] for rule in rules] == ["ip_addr"]
    # The value is the droplet's address (unknown until it exists): it comes from the droplet.
    assert firewall.property_dependencies["rules"] == [droplet.urn]


def test_pgbouncers_files_are_secrets_fed_from_the_cluster() -> None:
    (container,) = [r for r in _resources() if r.name == "pgbouncer-container"]
    uploads = container.inputs["uploads"]
    assert {u["file"] for u in uploads} == {
        "/etc/pgbouncer/pgbouncer.ini",
        "/etc/pgbouncer/server-ca.pem",
        "/etc/pgbouncer/userlist.txt",
        "/etc/pgbouncer/pg_hba.conf",  # who may open what: user and database names only
    }
    assert all(is_secret(u["content"]) != u["file"].endswith("pg_hba.conf") for u in uploads)
    fed_by = set(container.property_dependencies["uploads"])
    assert {_one(DO_DATABASE_CLUSTER).urn, _one(DO_DATABASE_USER).urn} <= fed_by
    # No other container reads the cluster's values (the user's password goes nowhere else).
    others = [
        r
        for r in _resources()
        if r.type == "docker:index/container:Container" and r.name != "pgbouncer-container"
    ]
    for other in others:
        assert not any(
            "databases:DigitalOceanPostgres" in urn
            for urns in other.property_dependencies.values()
            for urn in urns
        ), other.name
