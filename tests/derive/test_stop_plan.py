"""How each stack's services stop: a database's documented clean signal, and a grace that
fits it, from the stack file's images and stateful flags."""

from __future__ import annotations

import pytest
import yaml

from components.derive.plan import stack_plan
from tests.stacks import ROOT, stack_spec

# The clean stop signal each database image documents (sources in components/spec/images.py:
# docker-library/postgres's Dockerfile STOPSIGNAL SIGINT; Redis's and MariaDB's SIGTERM).
DOCUMENTED = {"postgres": "SIGINT", "redis": "SIGTERM", "mariadb": "SIGTERM"}


@pytest.mark.parametrize("stack", ["hub", "prod", "staging"])
def test_databases_stop_cleanly_and_stateful_services_get_time(stack: str) -> None:
    services = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"][
        "platform:services"
    ]
    plan = stack_plan(stack_spec(stack))
    for name, service in services.items():
        planned = plan.services[name]
        repository = service["image"].split(":")[0].rsplit("/", 1)[-1]
        assert planned.stop_signal == DOCUMENTED.get(repository), name
        assert planned.stop_grace_seconds == (30 if service.get("stateful") else 10), name


def test_hub_has_each_kind_of_database() -> None:
    images = {s.image.split(":")[0] for s in stack_spec("hub").services.values()}
    assert images >= {"postgres", "redis", "mariadb"}


def test_a_stack_file_can_set_the_grace_and_the_signal() -> None:
    spec = stack_spec("hub")
    db = spec.services["hub-db"].model_copy(
        update={"stopGraceSeconds": 120, "stopSignal": "SIGQUIT"}
    )
    spec = spec.model_copy(update={"services": {**spec.services, "hub-db": db}})
    planned = stack_plan(spec).services["hub-db"]
    assert (planned.stop_signal, planned.stop_grace_seconds) == ("SIGQUIT", 120)
