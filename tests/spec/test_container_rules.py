"""Configs that plan clean but fail or lose data at apply, refused by the spec with their path.

Each case edits the prod baseline (tests/spec/test_models.py) and expects the exact text an
operator reads.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.spec.spec_helpers import Mutation, add_service, error_text, forward, parse, put
from tests.spec.test_models import doc

GHCR = {"username": "deploy-bot", "password": {"secret": "registries.ghcr"}}


def _registry(host: str, entry: dict[str, Any] | None = None) -> Mutation:
    def apply(document: dict[str, Any]) -> None:
        document.setdefault("registries", {})[host] = entry or GHCR
        document["secrets"].setdefault("registries", {})["ghcr"] = "ghp_example"

    return apply


def _case(id_: str, mutations: list[Mutation], expected: str) -> Any:
    return pytest.param(mutations, expected, id=id_)


REFUSED = [
    _case(
        "two-services-one-volume",
        [
            add_service(
                "cache",
                machine="livekit",
                image="redis:7.4.2",
                volumes=[{"name": "redis-data", "path": "/data"}],
            )
        ],
        "platform:services.cache.volumes[0].name: redis-data is already the volume of "
        "platform:services.redis on livekit; each service owns its volumes, and removing "
        "either service would delete the other's data: name another volume",
    ),
    _case(
        "two-routes-one-host-and-path",
        [put("services", "frontend", "expose", 0, "path", value="/api")],
        "platform:services.frontend.expose[0]: route app.example.com/api is already "
        "platform:services.backend.expose[0]; the proxy would send the requests to one of "
        "them at random: give each route its own host or path",
    ),
    _case(
        "one-port-number-two-protocols",
        [forward("npm", "udp", 443)],
        "platform:services.npm.expose[0]: udp 443 shares port numbers with tcp 443 "
        "(platform:proxy): the Docker provider reads ports back by number alone, in no fixed "
        "order for one number, and a new order replaces the container; publish each number "
        "with one protocol, or use networkMode host",
    ),
    _case(
        "cpus-that-read-back-rounded",
        [put("services", "backend", "resources", "cpus", value=0.05)],
        "platform:services.backend.resources.cpus: 0.05 reads back from the Docker provider "
        "as 0.1, so every up would replace the container; use a value that reads back as "
        "itself, such as 0.5, 1.5 or 0.25",
    ),
    _case(
        "cpus-finer-than-docker-counts",
        [put("services", "backend", "resources", "cpus", value=1e-10)],
        "platform:services.backend.resources.cpus: 1e-10 has more than 9 decimal places: "
        "Docker counts CPUs in billionths",
    ),
    _case(
        "stop-signal-without-sig",
        [put("services", "redis", "stopSignal", value="TERM")],
        "platform:services.redis.stopSignal: TERM is not a signal name such as SIGTERM, "
        "SIGINT or SIGQUIT",
    ),
    _case(
        "no-grace",
        [put("services", "redis", "stopGraceSeconds", value=0)],
        "platform:services.redis.stopGraceSeconds: 0 is invalid: Input should be greater than "
        "or equal to 1 (Seconds a stop waits after the stop signal before SIGKILL "
        "(replacement, removal, engine shutdown); default 30 for stateful services, 10 "
        "otherwise. Fixed at create: a change replaces the container.)",
    ),
    _case(
        "registry-that-no-image-names",
        [_registry("ghcr")],
        "platform:registries.ghcr: ghcr is not a registry host: images name theirs as "
        "host[:port] (ghcr.io, registry.example.com:5000), and Docker Hub is docker.io",
    ),
    _case(
        "registry-no-image-pulls-from",
        [_registry("registry.example.com")],
        "platform:registries.registry.example.com: no image of platform:services pulls from "
        "registry.example.com; images pull from docker.io, ghcr.io: remove the entry or "
        "correct its host",
    ),
    _case(
        "registry-password-not-a-secret",
        [
            _registry(
                "ghcr.io", {"username": "deploy-bot", "password": {"secret": "registries.nope"}}
            )
        ],
        "platform:registries.ghcr.io.password.secret: registries.nope is not under "
        "platform:secrets; set it with `pulumi config set --secret --path "
        "'platform:secrets.registries.nope' <value>`",
    ),
]


@pytest.mark.parametrize(("mutations", "expected"), REFUSED)
def test_refused(mutations: list[Mutation], expected: str) -> None:
    assert error_text(doc(*mutations)) == expected


@pytest.mark.parametrize(
    "mutations",
    [
        # One volume name on two machines is two volumes, one per engine.
        pytest.param(
            [
                add_service(
                    "cache",
                    machine="backend",
                    image="redis:7.4.2",
                    volumes=[{"name": "redis-data", "path": "/data"}],
                )
            ],
            id="one-volume-name-on-two-machines",
        ),
        pytest.param(
            [put("services", "frontend", "expose", 0, "path", value="/app")],
            id="same-host-other-path",
        ),
        pytest.param([put("services", "backend", "resources", "cpus", value=10.0)], id="10-cpus"),
        pytest.param([_registry("ghcr.io")], id="registry-ghcr"),
        pytest.param(
            [
                _registry("docker.io"),
                put("services", "redis", "stopGraceSeconds", value=120),
                put("services", "redis", "stopSignal", value="SIGINT"),
            ],
            id="docker-hub-and-a-stop",
        ),
    ],
)
def test_allowed(mutations: list[Mutation]) -> None:
    parse(doc(*mutations))
