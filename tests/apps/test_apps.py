"""The app registry, LiveKit and Egress: what each renders from the stack file, and its checks."""

from __future__ import annotations

import typing
from typing import Any

import pydantic
import pytest
import yaml

from components.apps import APPS, egress, livekit
from components.derive.plan import stack_plan
from components.spec.services import ServiceSpec
from components.values import Rendered
from tests.spec.spec_helpers import error_text, put
from tests.spec.test_models import doc
from tests.stacks import ROOT, stack_spec

VALUES = {"api_key": "APIkey", "api_secret": "s3cret", "redis_password": "r3dis"}


def _app_block(stack: str, service: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    block: dict[str, Any] = document["config"]["platform:services"][service]["app"]
    return block


def test_every_registered_app_is_a_kind_of_the_app_block() -> None:
    union = typing.get_args(ServiceSpec.model_fields["app"].annotation)[0]
    kinds = {
        kind
        for member in typing.get_args(typing.get_args(union)[0])
        for kind in typing.get_args(member.model_fields["kind"].annotation)
    }
    assert kinds == set(APPS) == {"livekit", "livekit-egress", "mosquitto", "loki", "pgbouncer"}
    for kind, module in APPS.items():
        assert kind == module.KIND
        assert callable(module.problems)
        assert callable(module.contribute)


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_egress_config_is_rendered_from_the_app_block(stack: str) -> None:
    block = _app_block(stack, "egress")
    plan = stack_plan(stack_spec(stack)).services["egress"]
    assert plan.env[egress.CONFIG_FILE_ENV] == egress.CONFIG_PATH
    (file,) = plan.files
    assert (file.path, file.mode) == ("/etc/egress/egress.yaml", "0440")
    assert isinstance(file.content, Rendered)  # so the file is a secret
    assert dict(file.content.secrets) == {
        "api_key": block["apiKey"]["secret"],
        "api_secret": block["apiSecret"]["secret"],
        "redis_password": block["redisPassword"]["secret"],
    }
    assert yaml.safe_load(file.content.render(VALUES)) == {
        "api_key": "APIkey",
        "api_secret": "s3cret",
        "ws_url": block["wsUrl"],
        "redis": {"address": block["redisAddress"], "password": "r3dis"},
        "logging": {"level": "info"},
    }


def test_egress_config_refuses_a_key_egress_does_not_have() -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        egress.EgressRedis.model_validate({"address": "redis:6379", "passwd": "x"})


def test_egress_checks_its_url_and_owns_its_config_variables() -> None:
    text = error_text(
        doc(
            put("services", "egress", "app", "wsUrl", value="http://10.0.0.10:7880"),
            put("services", "egress", "env", value={"EGRESS_CONFIG_BODY": "x"}),
        )
    )
    assert text.splitlines() == [
        "platform:services.egress.app.wsUrl: http://10.0.0.10:7880 is not a websocket URL; "
        "use ws://host:port or wss://host",
        "platform:services.egress.env.EGRESS_CONFIG_BODY: is set by the stack from "
        "platform:services.egress.app; remove it from env",
    ]


def test_an_unknown_app_kind_names_the_registered_ones() -> None:
    text = error_text(doc(put("services", "egress", "app", "kind", value="egres")))
    assert text == (
        "platform:services.egress.app.kind: egres is not a known kind; allowed kinds: "
        "livekit, livekit-egress, mosquitto, loki, pgbouncer"
    )


def test_livekit_announces_the_public_address_on_its_forwards() -> None:
    block = _app_block("prod", "livekit")
    value = stack_plan(stack_spec("prod")).services["livekit"].secret_env[livekit.CONFIG_ENV]
    assert isinstance(value, Rendered)
    assert value.public_address
    config = yaml.safe_load(value.render({**VALUES, "public_address": "203.0.113.10"}))
    assert config["rtc"]["node_ip"] == "203.0.113.10"
    assert (config["rtc"]["port_range_start"], config["rtc"]["port_range_end"]) == (50000, 60000)
    assert config["rtc"]["tcp_port"] == 7881
    assert config["keys"] == {"APIkey": "s3cret"}
    assert config["redis"] == {"address": block["redisAddress"], "password": "r3dis"}
