"""The provider defaults the plan and the tests apply are the ones the provider documents.

pulumi-docker's Python SDK is generated from the same schema the provider's Check applies
(``components/plan/provider_defaults.py`` cites it); each default must appear as "Defaults to
`<value>`" on its property in the installed SDK, so a provider upgrade that changes one fails
here.
"""

from __future__ import annotations

import inspect

import pulumi_docker as docker
import pytest

from components.plan.provider_defaults import DEFAULTS, Default, apply_defaults
from components.plan.recording import UNKNOWN

# (resource type, property path) -> (the SDK's args class, its parameter)
SDK_PARAMETERS: dict[tuple[str, str], tuple[type, str]] = {
    ("docker:index/container:Container", "ports[].ip"): (docker.ContainerPortArgs, "ip"),
    ("docker:index/container:Container", "ports[].protocol"): (
        docker.ContainerPortArgs,
        "protocol",
    ),
    ("docker:index/container:Container", "restart"): (docker.ContainerArgs, "restart"),
    ("docker:index/container:Container", "devices[].permissions"): (
        docker.ContainerDeviceArgs,
        "permissions",
    ),
    ("docker:index/volume:Volume", "driver"): (docker.VolumeArgs, "driver"),
}


@pytest.mark.parametrize("default", DEFAULTS, ids=lambda d: f"{d.type}:{d.path}")
def test_each_default_is_the_providers(default: Default) -> None:
    args_class, parameter = SDK_PARAMETERS[(default.type, default.path)]
    doc = inspect.getdoc(args_class.__init__) or ""
    line = next(line for line in doc.splitlines() if f" {parameter}:" in line)
    assert f"Defaults to `{default.value}`" in line
    assert "schema.json" in default.source


def test_defaults_fill_only_what_is_unset() -> None:
    container = "docker:index/container:Container"
    filled = apply_defaults(
        container,
        {
            "ports": [
                {"internal": 80},
                {"internal": 53, "ip": "127.0.0.1", "protocol": "udp"},
                {"internal": 81, "ip": ""},
            ],
            "devices": [{"hostPath": "/dev/dri"}],
        },
    )
    assert filled["ports"] == [
        {"internal": 80, "ip": "0.0.0.0", "protocol": "tcp"},
        {"internal": 53, "ip": "127.0.0.1", "protocol": "udp"},
        {"internal": 81, "ip": "", "protocol": "tcp"},
    ]
    assert filled["restart"] == "no"
    assert filled["devices"] == [{"hostPath": "/dev/dri", "permissions": "rwm"}]
    assert apply_defaults(container, {"restart": "always"})["restart"] == "always"
    # an unknown list (the engine's sentinel string) is left as it is
    assert apply_defaults(container, {"ports": UNKNOWN})["ports"] == UNKNOWN
    assert apply_defaults("docker:index/network:Network", {"driver": None}) == {"driver": None}
