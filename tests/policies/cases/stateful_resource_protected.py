"""stateful-resource-protected: the protect option, or the provider's delete protection."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import DOCKER_VOLUME, resource
from ..fixtures_cloud import (
    DO_DATABASE,
    DO_VOLUME,
    DOCKER_NETWORK,
    HCLOUD_VOLUME,
    database,
    protected,
)
from ..harness import RuleCases, fails, passes, unknown


def docker_volume(name: str) -> Any:
    return resource(DOCKER_VOLUME, name, {"name": name, "driver": "local"})


def hcloud_volume(name: str, **props: object) -> Any:
    return resource(HCLOUD_VOLUME, name, {"name": name, "size": 20, **props})


def unprotected(item: Any) -> Any:
    return replace(item, protect=False)


def option(what: str, name: str) -> str:
    return f"{what} {name} does not set the protect resource option."


def neither(name: str) -> str:
    return (
        f"Hetzner Cloud volume {name} sets neither the protect resource option nor "
        "deleteProtection."
    )


CASES = RuleCases(
    cases=[
        passes(protected(docker_volume("pass_docker_volume"))),
        passes(protected(resource(DO_VOLUME, "pass_do_volume", {"name": "v", "size": 10}))),
        passes(protected(database("pass_do_database"))),
        passes(protected(hcloud_volume("pass_hcloud_protected"))),
        passes(hcloud_volume("pass_hcloud_delete_protection", deleteProtection=True)),
        # Protected: deleteProtection is never read, so its unknown value defers nothing.
        passes(protected(hcloud_volume("pass_hcloud_protected_unknown", deleteProtection=UNKNOWN))),
        passes(resource(DOCKER_NETWORK, "pass_other_type", {"name": "n", "driver": "bridge"})),
        fails(
            unprotected(docker_volume("fail_docker_volume")),
            option("Docker volume", "fail_docker_volume"),
        ),
        fails(
            resource(DO_VOLUME, "fail_do_volume", {"name": "fail_do_volume", "size": 10}),
            option("DigitalOcean volume", "fail_do_volume"),
        ),
        fails(
            resource(DO_DATABASE, "fail_do_database", {"name": "fail_do_database", "engine": "pg"}),
            option("DigitalOcean database cluster", "fail_do_database"),
        ),
        fails(hcloud_volume("fail_hcloud_volume"), neither("fail_hcloud_volume")),
        fails(
            hcloud_volume("fail_hcloud_false", deleteProtection=False), neither("fail_hcloud_false")
        ),
        # Unprotected DigitalOcean resources have no setting to read: unknowns change nothing.
        fails(
            resource(DO_VOLUME, "fail_do_volume_unknown_props", {"name": UNKNOWN, "size": UNKNOWN}),
            option("DigitalOcean volume", "fail_do_volume_unknown_props"),
        ),
        unknown(
            hcloud_volume("unknown_hcloud_delete_protection", deleteProtection=UNKNOWN),
            ".deleteProtection",
        ),
    ],
)
