"""platform:proxy for Nginx Proxy Manager: the version the image pins decides the request
shapes (2.12 or 2.13, anything else refused), the Let's Encrypt email per version, one auth per
host, and what NPM's container gets: the bootstrap admin as a secret and port 81 on the
loopback only. NPM's components under Pulumi's mocks: the objects follow the stack file's
routes, after the container, with every password a secret."""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv4Address
from typing import Any

import pulumi
import pytest
import yaml

from components.derive.exposure import ProxyRoute, RouteUser
from components.derive.plan import stack_plan
from components.npm.routes import NpmRoutes, NpmRoutesArgs
from components.plan import plan_stack
from components.proxies.npm import NpmPlan
from components.values import SecretPath
from tests.spec.spec_helpers import drop, error_text, parse, put
from tests.spec.test_models import doc
from tests.stacks import ROOT, by_name, is_secret, record

IMAGE = ("services", "npm", "image")
AUTH = ("services", "backend", "expose", 0, "auth")
NETWORKS = ("services", "npm", "networks")


@pytest.mark.parametrize(
    "image", ["jc21/nginx-proxy-manager:2.11.3", "jc21/nginx-proxy-manager:3.0.0"]
)
def test_a_version_whose_requests_are_unknown_is_refused(image: str) -> None:
    assert error_text(doc(put(*IMAGE, value=image))) == (
        f"platform:services.npm.image: is {image!r}: the program configures Nginx Proxy "
        "Manager through its API, whose request shapes it knows for versions 2.12, 2.13 (a tag "
        "like 2.12.6); pin one of them"
    )


def test_the_lets_encrypt_email_follows_the_version() -> None:
    assert error_text(doc(drop("proxy", "letsencryptEmail"))) == (
        "platform:proxy.letsencryptEmail: is missing: NPM 2.12 sends the Let's Encrypt account "
        "email with each certificate request; set the address Let's Encrypt writes to"
    )
    assert error_text(doc(put(*IMAGE, value="jc21/nginx-proxy-manager:2.13.7"))) == (
        "platform:proxy.letsencryptEmail: is set, but NPM 2.13 refuses it (the account email "
        "is the admin's: adminEmail); remove it"
    )
    spec = parse(
        doc(put(*IMAGE, value="jc21/nginx-proxy-manager:2.13.7"), drop("proxy", "letsencryptEmail"))
    )
    plan = stack_plan(spec).npm
    assert plan is not None
    assert (plan.line, plan.letsencrypt_email) == ("2.13", None)


def test_npm_on_the_host_network_is_refused() -> None:
    # Docker's DNS (Docker docs, "Networking overview / DNS services": containers on custom
    # networks use 127.0.0.11) is what NPM's proxy hosts resolve their upstreams with.
    host_network = doc(put("services", "npm", "networkMode", value="host"), drop(*NETWORKS))
    assert error_text(host_network) == (
        "platform:services.npm.networkMode: is 'host': NPM's proxy hosts resolve their "
        "upstreams per request through Docker's DNS (127.0.0.11, components/npm/routes.py), "
        "which only a container on a user network has; remove networkMode and join the "
        "stack's network"
    )


def test_routes_of_one_host_share_one_access_list_and_problems_come_together() -> None:
    # backend (app.example.com/api) asks for auth, frontend (app.example.com/) does not.
    text = error_text(
        doc(put(*AUTH, value={"allowFrom": ["198.51.100.0/24"]}), drop("proxy", "letsencryptEmail"))
    )
    assert text.splitlines() == [
        "platform:proxy.letsencryptEmail: is missing: NPM 2.12 sends the Let's Encrypt account "
        "email with each certificate request; set the address Let's Encrypt writes to",
        "platform:services.frontend.expose[0].auth: differs from the auth of another route of "
        "app.example.com (platform:services.backend.expose[0].auth): Nginx Proxy Manager "
        "applies one access list per host; give every route of a host the same auth",
    ]


def test_npms_container_gets_the_bootstrap_admin_and_a_loopback_api() -> None:
    npm = stack_plan(parse(doc())).services["npm"]
    assert npm.env["INITIAL_ADMIN_EMAIL"] == "admin@example.com"
    assert npm.secret_env["INITIAL_ADMIN_PASSWORD"] == SecretPath("npm.bootstrapPassword")
    api = [p for p in npm.ports if p.ports.start == 81]
    assert [(p.protocol, p.ports.end, p.address) for p in api] == [
        ("tcp", 81, IPv4Address("127.0.0.1"))
    ]


def _stack(stack: str) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.removeprefix("platform:"): v for k, v in config.items()}


def _routes(config: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, int, bool]]:
    routes = {
        (e["host"], e.get("path", "/")): (name, e["port"], e.get("websocket", False))
        for name, service in config["services"].items()
        for e in service.get("expose", [])
        if e["kind"] == "route"
    }
    # The monitoring set's Grafana is routed too, at the host its block names (port 3000,
    # Grafana's own: grafana/grafana's defaults.ini http_port).
    grafana = config.get("monitoring", {}).get("grafana")
    if grafana is not None:
        routes[(grafana["host"], "/")] = ("grafana", 3000, False)
    return routes


def _machine(config: Mapping[str, Any], service: str) -> str:
    if service == "grafana":  # the monitoring set's, on the block's machine
        return str(config["monitoring"]["machine"])
    return str(config["services"][service]["machine"])


def _connect_timeout(configs: list[str]) -> str | None:
    """The proxy_connect_timeout in effect: the innermost config's that sets one."""
    found = None
    for text in configs:
        for line in text.splitlines():
            if line.startswith("proxy_connect_timeout "):
                found = line.split()[1].rstrip(";")
    return found


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_the_stacks_routes_become_npm_objects_after_its_container(stack: str) -> None:
    config = _stack(stack)
    routes = _routes(config)
    result = plan_stack(ROOT, stack)
    resources = by_name(result.resources)
    hosts = {
        r.inputs["domainNames"][0]: r.inputs
        for r in result.resources
        if r.name.startswith("npm-routes-proxy-host-")
    }
    assert set(hosts) == {host for host, _ in routes}
    proxy_machine = config["services"][config["proxy"]["service"]]["machine"]
    for (host, path), (service, port, websocket) in routes.items():
        inputs = hosts[host]
        if path == "/":
            assert (inputs["forwardPort"], inputs["sslForced"]) == (port, True)
            configs = [inputs["advancedConfig"]]
        else:
            (location,) = [loc for loc in inputs["locations"] if loc["path"] == path]
            assert location["forwardPort"] == port
            configs = [inputs["advancedConfig"], location["advancedConfig"]]
        # The 1 s connect of a redeploy only for a container on NPM's own machine (an alias):
        # an address on another machine keeps a connect that survives a lost SYN.
        on_proxy = _machine(config, service) == proxy_machine
        assert (_connect_timeout(configs) == "1s") is on_proxy, (host, path, configs)
        if websocket:
            assert inputs["allowWebsocketUpgrade"] is True
        assert is_secret(inputs["adminPassword"])
    component = resources["npm-routes"]
    assert any(d.endswith("::npm-container") for d in component.dependencies)
    admin = resources["npm-routes-admin-login"].inputs
    assert is_secret(admin["adminPassword"])
    assert is_secret(admin["bootstrapPassword"])
    certificates = [r.inputs for r in result.resources if "-certificate-" in r.name]
    assert {c["domainNames"][0] for c in certificates} == set(hosts)
    assert {c["line"] for c in certificates} == {
        config["services"]["npm"]["image"].split(":")[1][:4]
    }


def _secret(path: str) -> pulumi.Output[str]:
    return pulumi.Output.secret(f"value-of-{path}")


def test_an_authenticated_route_gets_an_access_list_with_secret_passwords() -> None:
    route = ProxyRoute(
        service="portal",
        host="admin.example.com",
        path="/",
        port=9000,
        upstream="http://portal:9000",
        config_path="platform:services.portal.expose[0]",
        users=(RouteUser("ops", SecretPath("portal.ops")),),
        allow_from=("198.51.100.0/24",),
    )
    plan = NpmPlan(
        service="npm",
        machine="proxy",
        host="ax102",
        line="2.13",
        admin_email="admin@example.com",
        admin_password=SecretPath("npm.adminPassword"),
        bootstrap_password=SecretPath("npm.bootstrapPassword"),
        letsencrypt_email=None,
        routes=(route,),
    )
    api = {"sshConfig": "/p/.selfhosted/ssh/prod/proxy/config", "alias": "ax102-proxy"}

    def program() -> None:
        NpmRoutes("npm-routes", NpmRoutesArgs(plan, api, _secret))

    resources = by_name(record(program))
    access = resources["npm-routes-access-list-admin.example.com"]
    assert access.inputs["satisfyAny"] is False
    assert access.inputs["passAuth"] is False
    assert is_secret(access.inputs["items"][0]["password"])
    assert access.inputs["clients"] == [
        {"address": "198.51.100.0/24", "directive": "allow"},
        {"address": "all", "directive": "deny"},
    ]
    host = resources["npm-routes-proxy-host-admin.example.com"]
    assert access.urn in host.dependencies
    assert host.inputs["api"] == api
