"""Managed databases under platform:databases: a component per kind (``DATABASE_BUILDERS``).

Each builder declares one managed database from its plan and returns the values the services
that reach it read at apply time (``names.database_value``: host, port, database, user,
password, CA). Builders import their provider SDK when called, as host builders do.
"""

# ruff: noqa: PLC0415 -- builders import their modules lazily (see above)

from __future__ import annotations

from collections.abc import Callable, Mapping

import pulumi

from components.derive.plan import DatabasePlan

# (plan, {host name: its public address}) -> {names.database_value: value}
DatabaseBuilder = Callable[
    [DatabasePlan, Mapping[str, pulumi.Input[str]]], dict[str, pulumi.Output[str]]
]


def _digitalocean_postgres(
    plan: DatabasePlan, addresses: Mapping[str, pulumi.Input[str]]
) -> dict[str, pulumi.Output[str]]:
    from components.databases.digitalocean import (
        DigitalOceanPostgres,
        DigitalOceanPostgresArgs,
    )

    database = DigitalOceanPostgres(
        plan.component,
        DigitalOceanPostgresArgs(
            spec=plan.spec,
            cluster_name=plan.spec.name or plan.name,
            trusted_addresses=[addresses[h] for h in plan.trusted_hosts],
        ),
    )
    return database.values(plan.name)


DATABASE_BUILDERS: dict[str, DatabaseBuilder] = {"digitalocean-postgres": _digitalocean_postgres}
