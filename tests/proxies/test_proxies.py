"""Proxy kinds: the registry, the public ports a proxy implies, Traefik's labels and its static
config, which must name the same entrypoints and resolver. Expectations come from the stack
files and from Traefik's own config keys, not from the code under test."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.derive import proxy_routes
from components.derive.plan import stack_plan
from components.plan.stack_spec import read_stack_spec
from components.proxies import PROXIES
from components.proxies import traefik as traefik_kind
from components.spec import PlatformSpec, SpecError
from components.spec.platform import PlatformSpec as Platform
from tests.spec.spec_helpers import append, error_text, put
from tests.spec.test_models import doc
from tests.stacks import ROOT, stack_spec

STACKS = ("prod", "staging", "hub")


def _config(stack: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {k.removeprefix("platform:"): v for k, v in document["config"].items()}


def test_every_registered_kind_is_a_kind_of_platform_proxy() -> None:
    union = typing.get_args(Platform.model_fields["proxy"].annotation)[0]
    kinds = {
        kind
        for member in typing.get_args(typing.get_args(union)[0])
        for kind in typing.get_args(member.model_fields["kind"].annotation)
    }
    assert kinds == set(PROXIES) == {"traefik", "nginx-proxy-manager", "nginx"}


@pytest.mark.parametrize("stack", STACKS)
def test_the_proxy_opens_80_and_443_that_no_stack_file_writes(stack: str) -> None:
    config = _config(stack)
    proxy = config["proxy"]["service"]
    written = [
        (e["protocol"], str(e["ports"]))
        for e in config["services"][proxy].get("expose", [])
        if e["kind"] == "forward"
    ]
    assert ("tcp", "80") not in written
    assert ("tcp", "443") not in written
    plan = stack_plan(stack_spec(stack))
    implied = [
        (o.protocol, str(o.ports), o.config_path) for o in plan.openings if o.service == proxy
    ]
    assert implied == [("tcp", "80", "platform:proxy"), ("tcp", "443", "platform:proxy")]


def test_a_hand_written_web_port_on_the_proxy_is_refused() -> None:
    text = error_text(
        doc(
            append(
                "services",
                "npm",
                "expose",
                value={"kind": "forward", "protocol": "tcp", "ports": 443},
            )
        )
    )
    assert text == (
        "platform:services.npm.expose[0]: forward tcp 443: the proxy's public ports (tcp 80, "
        "tcp 443) come from platform:proxy (kind nginx-proxy-manager); remove this exposure"
    )


def test_an_unknown_proxy_kind_names_the_registered_ones() -> None:
    text = error_text(doc(put("proxy", "kind", value="haproxy")))
    assert text == (
        "platform:proxy.kind: haproxy is not a known kind; allowed kinds: traefik, "
        "nginx-proxy-manager, nginx"
    )


def _hub() -> PlatformSpec:
    return stack_spec("hub")


def _static_config() -> dict[str, Any]:
    (file,) = stack_plan(_hub()).services["traefik"].files
    assert file.path == "/etc/traefik/traefik.yml"
    assert isinstance(file.content, str)  # nothing secret in it
    config: dict[str, Any] = yaml.safe_load(file.content)
    return config


def test_traefik_gets_its_static_config_from_the_proxy_block_and_no_flags() -> None:
    config = _config("hub")
    plan = stack_plan(_hub()).services["traefik"]
    assert plan.command is None
    static = _static_config()
    network_key = config["proxy"]["network"]
    assert static["providers"]["docker"] == {
        "endpoint": "unix:///var/run/docker.sock",
        "exposedByDefault": False,
        "network": config["networks"][network_key].get("dockerName", network_key),
    }
    (resolver,) = static["certificatesResolvers"].values()
    assert resolver["acme"]["email"] == config["proxy"]["acmeEmail"]
    assert {e["address"] for e in static["entryPoints"].values()} == {":80", ":443"}


def test_every_label_names_an_entrypoint_and_a_resolver_the_static_config_declares() -> None:
    static = _static_config()
    labels = {
        key: value
        for service in stack_plan(_hub()).services.values()
        for key, value in service.labels.items()
    }
    entrypoints = {v for k, v in labels.items() if k.endswith(".entrypoints")}
    resolvers = {v for k, v in labels.items() if k.endswith(".tls.certresolver")}
    assert entrypoints  # the hub routes something
    assert entrypoints <= set(static["entryPoints"])
    assert resolvers <= set(static["certificatesResolvers"])
    # The HTTP entrypoint is the one that redirects, to the entrypoint the routers use.
    redirect = [
        e["http"]["redirections"]["entryPoint"]["to"]
        for e in static["entryPoints"].values()
        if "http" in e
    ]
    assert redirect == list(entrypoints)


def test_a_command_on_traefik_is_refused(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "Pulumi.hub.yaml").read_text())
    document["config"]["platform:services"]["traefik"]["command"] = ["--ping=true"]
    stack_file = tmp_path / "Pulumi.hub.yaml"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(SpecError) as caught:
        read_stack_spec(stack_file)
    assert str(caught.value) == (
        "platform:services.traefik.command: is set: Traefik takes its static config from one "
        "source, and the stack renders it from platform:proxy into /etc/traefik/traefik.yml; "
        "remove the command"
    )


def _labels(spec: PlatformSpec, service: str) -> dict[str, str]:
    assert spec.proxy is not None
    return dict(traefik_kind.route_labels(spec.proxy, service, proxy_routes(spec), "web"))


def test_traefik_labels_route_by_host_on_web() -> None:
    hub = _hub()
    assert _labels(hub, "chat-web") == {
        "traefik.enable": "true",
        "traefik.docker.network": "web",
        "traefik.http.routers.chat-web.rule": "Host(`chat.versatilehub.app`)",
        "traefik.http.routers.chat-web.entrypoints": "websecure",
        "traefik.http.routers.chat-web.tls.certresolver": "letsencrypt",
        "traefik.http.routers.chat-web.service": "chat-web",
        "traefik.http.services.chat-web.loadbalancer.server.port": "3000",
        # Every router: security headers, then a retry of requests that reached no backend,
        # and of bodyless idempotent ones a backend reset unanswered (Traefik's 502).
        "traefik.http.routers.chat-web.middlewares": "chat-web-headers,chat-web-retry",
        "traefik.http.middlewares.chat-web-headers.headers.stsseconds": "31536000",
        "traefik.http.middlewares.chat-web-headers.headers.stsincludesubdomains": "true",
        "traefik.http.middlewares.chat-web-headers.headers.contenttypenosniff": "true",
        "traefik.http.middlewares.chat-web-headers.headers.framedeny": "true",
        "traefik.http.middlewares.chat-web-headers.headers.referrerpolicy": (
            "strict-origin-when-cross-origin"
        ),
        "traefik.http.middlewares.chat-web-retry.retry.attempts": "3",
        "traefik.http.middlewares.chat-web-retry.retry.initialinterval": "100ms",
        "traefik.http.middlewares.chat-web-retry.retry.status": "502",
        "traefik.http.middlewares.chat-web-retry.retry.maxrequestbodybytes": "0",
    }
    # No route, no labels; the proxy itself carries none; another proxy kind uses none.
    assert _labels(hub, "hub-db") == {}
    assert _labels(hub, "traefik") == {}


def test_traefik_path_prefix_and_two_ports() -> None:
    hub = _hub()
    data = hub.model_dump(by_alias=True)
    data["services"]["agent"]["expose"].append(
        {"kind": "route", "host": "agent.versatilehub.app", "path": "/admin", "port": 18790}
    )
    spec = PlatformSpec.model_validate(data)
    labels = _labels(spec, "agent")
    assert labels["traefik.http.routers.agent-1.rule"] == (
        "Host(`agent.versatilehub.app`) && PathPrefix(`/admin`)"
    )
    assert labels["traefik.http.routers.agent-0.service"] == "agent-18789"
    assert labels["traefik.http.services.agent-18790.loadbalancer.server.port"] == "18790"
