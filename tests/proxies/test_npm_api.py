"""NPM's objects through the dynamic providers' own methods, against the schema-enforcing test
server (npm_server.py): the admin's rotation, a route set that changes, token expiry, hand
edits read back as drift, write-only passwords, and 2.12 vs 2.13 certificates. Expectations
come from NPM's schemas and source (the fixtures and DESIGN.md), not from the code's output."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.npm.resources import (
    AccessListProvider,
    AdminProvider,
    CertificateProvider,
    ProxyHostProvider,
)
from components.proxies.npm_api import NpmApi, NpmError, certificate_body
from tests.stacks import ROOT

from .npm_server import NpmState, npm_server

EMAIL = "admin@example.com"
BOOTSTRAP = "bootstrap-pass"
PASSWORD = "the-admin-password"


@pytest.fixture(params=["v2.12.6", "v2.13.7"])
def npm(request: pytest.FixtureRequest) -> Iterator[tuple[str, NpmState]]:
    with npm_server(request.param, EMAIL, PASSWORD) as served:
        yield served


def login(url: str) -> dict[str, Any]:
    return {"api": {"url": url}, "adminEmail": EMAIL, "adminPassword": PASSWORD}


def host_inputs(url: str, **changes: Any) -> dict[str, Any]:
    return {
        **login(url),
        "domainNames": ["app.example.com"],
        "forwardScheme": "http",
        "forwardHost": "frontend",
        "forwardPort": 3000,
        "certificateId": 0,
        "sslForced": True,
        "hstsEnabled": True,
        "http2Support": True,
        "blockExploits": True,
        "allowWebsocketUpgrade": False,
        "accessListId": 0,
        "enabled": True,
        "advancedConfig": "proxy_connect_timeout 1s;",
        "locations": [
            {
                "path": "/api",
                "forwardScheme": "http",
                "forwardHost": "$location_upstream",
                "forwardPort": 8000,
                "advancedConfig": 'set $location_upstream "backend";',
            }
        ],
        **changes,
    }


def access_inputs(url: str, password: str = "s3cret-pw") -> dict[str, Any]:
    return {
        **login(url),
        "name": "admin.example.com",
        "satisfyAny": False,
        "passAuth": False,
        "items": [{"username": "ops", "password": password}],
        "clients": [
            {"address": "10.0.0.0/8", "directive": "allow"},
            {"address": "all", "directive": "deny"},
        ],
    }


def test_the_server_enforces_the_published_schemas(npm: tuple[str, NpmState]) -> None:
    url, _state = npm
    with NpmApi(url, EMAIL, PASSWORD) as api:
        with pytest.raises(NpmError, match="400 data must NOT have additional properties"):
            api.create("proxy-hosts", {**host_body_minimal(), "unknown_field": 1})
        with pytest.raises(NpmError, match="500"):
            api.create("access-lists", {"name": "no items"})
        assert api.create("access-lists", {"name": "with items", "items": []})["id"] > 0


def host_body_minimal() -> dict[str, Any]:
    return {
        "domain_names": ["x.example.com"],
        "forward_scheme": "http",
        "forward_host": "x",
        "forward_port": 80,
    }


def test_a_changing_route_set_creates_updates_and_deletes(npm: tuple[str, NpmState]) -> None:
    url, state = npm
    provider = ProxyHostProvider()
    inputs = host_inputs(url)
    created = provider.create(inputs)
    assert created.id is not None
    live = state.objects["proxy-hosts"][int(created.id)]
    assert live["domain_names"] == ["app.example.com"]
    assert (live["forward_host"], live["forward_port"], live["ssl_forced"]) == (
        "frontend",
        3000,
        True,
    )
    assert live["locations"][0]["path"] == "/api"
    # A create answers meta {} and a later read has the reload's result.
    assert state.requests[-1][2]["meta"] == {}
    # A route added to the host: one more location, the object updated in place.
    changed = host_inputs(
        url,
        locations=[
            *inputs["locations"],
            {
                "path": "/ws",
                "forwardScheme": "http",
                "forwardHost": "rt",
                "forwardPort": 9000,
                "advancedConfig": "",
            },
        ],
        allowWebsocketUpgrade=True,
    )
    diff = provider.diff(created.id, created.outs, changed)
    assert diff.changes
    assert not diff.replaces
    provider.update(created.id, created.outs, changed)
    assert [loc["path"] for loc in live["locations"]] == ["/api", "/ws"]
    assert live["allow_websocket_upgrade"] is True
    provider.delete(created.id, changed)
    assert state.objects["proxy-hosts"] == {}
    # Nothing the program sent was refused: every body had the schema's fields only.
    assert state.refused == []


def test_a_hand_edit_reads_back_as_drift_and_the_update_restores_it(
    npm: tuple[str, NpmState],
) -> None:
    url, state = npm
    provider = ProxyHostProvider()
    inputs = host_inputs(url)
    created = provider.create(inputs)
    assert created.id is not None
    same = provider.read(created.id, created.outs)
    assert not provider.diff(created.id, same.outs, inputs).changes
    state.objects["proxy-hosts"][int(created.id)]["forward_port"] = 3999  # edited in NPM's UI
    state.objects["proxy-hosts"][int(created.id)]["ssl_forced"] = False
    # The advanced configs too: a location's cleared in the UI would leave its variable unset.
    state.objects["proxy-hosts"][int(created.id)]["advanced_config"] = ""
    state.objects["proxy-hosts"][int(created.id)]["locations"][0]["advanced_config"] = ""
    drifted = provider.read(created.id, created.outs)
    assert drifted.outs is not None
    assert (drifted.outs["forwardPort"], drifted.outs["sslForced"]) == (3999, False)
    assert drifted.outs["advancedConfig"] == ""
    assert drifted.outs["locations"][0]["advancedConfig"] == ""
    assert provider.diff(created.id, drifted.outs, inputs).changes
    provider.update(created.id, drifted.outs, inputs)
    restored = state.objects["proxy-hosts"][int(created.id)]
    assert restored["forward_port"] == 3000
    assert restored["advanced_config"] == inputs["advancedConfig"]
    assert restored["locations"][0]["advanced_config"] == 'set $location_upstream "backend";'
    # Deleted by hand: the read says it is gone.
    del state.objects["proxy-hosts"][int(created.id)]
    assert provider.read(created.id, created.outs).id is None


def test_the_token_expires_mid_run_and_the_client_logs_in_again(
    npm: tuple[str, NpmState],
) -> None:
    url, state = npm
    with NpmApi(url, EMAIL, PASSWORD) as api:
        first = api.create("proxy-hosts", host_body_minimal())
        assert state.token_logins() == 1
        state.expire_tokens()  # the server's clock says the day is over; ours does not
        assert api.get("proxy-hosts", first["id"]) is not None
        assert state.token_logins() == 2
        assert ("GET", f"/api/nginx/proxy-hosts/{first['id']}", 401, "Token has expired") in (
            state.refused
        )
    # The client's own clock: a token near its expiry is replaced before it is used.
    later = [0.0]
    with NpmApi(url, EMAIL, PASSWORD, clock=lambda: later[0]) as api:
        api.get("proxy-hosts", first["id"])
        logins = state.token_logins()
        later[0] = 10**12
        api.get("proxy-hosts", first["id"])
        assert state.token_logins() == logins + 1


def test_access_lists_keep_passwords_write_only(npm: tuple[str, NpmState]) -> None:
    url, state = npm
    provider = AccessListProvider()
    inputs = access_inputs(url)
    created = provider.create(inputs)
    assert created.id is not None
    row = state.objects["access-lists"][int(created.id)]
    assert row["items"] == [{"username": "ops", "password": "s3cret-pw"}]
    assert row["clients"][-1] == {"address": "all", "directive": "deny"}
    assert row["satisfy_any"] is False
    assert row["pass_auth"] is False
    # Read back: NPM gives "" and a hint; the matching hint keeps the state's password.
    same = provider.read(created.id, created.outs)
    assert not provider.diff(created.id, same.outs, inputs).changes
    # The password changed by hand: the hint differs, the read reports it.
    row["items"][0]["password"] = "another-one!"
    drifted = provider.read(created.id, created.outs)
    assert drifted.outs is not None
    assert drifted.outs["items"][0]["password"] == ""
    assert provider.diff(created.id, drifted.outs, inputs).changes
    provider.update(created.id, drifted.outs, inputs)
    assert row["items"] == [{"username": "ops", "password": "s3cret-pw"}]
    # An unchanged password is sent empty, and NPM keeps the stored one.
    state.requests.clear()
    flipped = {**inputs, "satisfyAny": True}
    provider.update(created.id, inputs, flipped)
    sent = state.requests[-1][2]
    assert sent["items"] == [{"username": "ops", "password": ""}]
    assert sent["name"] == "admin.example.com"  # without it NPM would ignore satisfy_any
    assert row["items"] == [{"username": "ops", "password": "s3cret-pw"}]
    assert row["satisfy_any"] is True
    assert state.refused == []


def test_the_admin_password_is_rotated_away_from_the_bootstrap_value() -> None:
    with npm_server("v2.12.6", EMAIL, BOOTSTRAP) as (url, state):
        provider = AdminProvider()
        inputs = {**login(url), "bootstrapPassword": BOOTSTRAP}
        created = provider.create(inputs)
        assert state.users[1]["password"] == PASSWORD
        with NpmApi(url, EMAIL, BOOTSTRAP) as api:
            assert not api.can_log_in(BOOTSTRAP)
        # Run again (a later up): nothing to rotate, the admin's password logs in.
        assert created.id is not None
        assert provider.read(created.id, created.outs).outs == created.outs
        # Changed by hand: the read reports it, and the update cannot guess the new one.
        state.users[1]["password"] = "set-in-the-ui"
        drifted = provider.read(created.id, created.outs)
        assert drifted.outs is not None
        assert drifted.outs["adminPassword"] == ""
        assert provider.diff(created.id, drifted.outs, inputs).changes
        with pytest.raises(NpmError, match="set the admin's password in NPM's UI"):
            provider.update(created.id, drifted.outs, inputs)
        # A new adminPassword in the stack: rotated from the one the state holds.
        state.users[1]["password"] = PASSWORD
        rotated = {**inputs, "adminPassword": "a-newer-password"}
        provider.update(created.id, inputs, rotated)
        assert state.users[1]["password"] == "a-newer-password"


@pytest.mark.parametrize(("line", "tag"), [("2.12", "v2.12.6"), ("2.13", "v2.13.7")])
def test_certificates_take_the_shape_of_their_version(line: str, tag: str) -> None:
    with npm_server(tag, EMAIL, PASSWORD) as (url, state):
        provider = CertificateProvider()
        inputs = {
            **login(url),
            "domainNames": ["app.example.com"],
            "line": line,
            "letsencryptEmail": "le@example.com" if line == "2.12" else None,
        }
        created = provider.create(inputs)
        assert created.id is not None
        assert state.objects["certificates"][int(created.id)]["domain_names"] == ["app.example.com"]
        renamed = {**inputs, "domainNames": ["www.example.com"]}
        assert provider.diff(created.id, created.outs, renamed).replaces == ["domainNames"]
        assert state.refused == []
        sent = state.requests[-1][2]["meta"]
        assert ("letsencrypt_email" in sent) is (line == "2.12")


def test_2_13_refuses_the_2_12_certificate_shape() -> None:
    body = certificate_body("2.12", ["app.example.com"], "le@example.com")
    refused = "400 data/meta must NOT have additional properties"
    with (
        npm_server("v2.13.7", EMAIL, PASSWORD) as (url, _),
        NpmApi(url, EMAIL, PASSWORD) as api,
        pytest.raises(NpmError, match=refused),
    ):
        api.create("certificates", body)


def test_the_provider_pickles_to_a_reference_a_fresh_interpreter_loads() -> None:
    blob = serialize_provider(ProxyHostProvider())
    assert len(base64.b64decode(blob)) < 400  # the class's name, not its code or any state
    program = (
        "import base64, dill, sys; p = dill.loads(base64.b64decode(sys.stdin.read())); "
        "print(type(p).__module__, type(p).__name__, p.diff('1', {'a': 1}, {'a': 1}).changes)"
    )
    out = subprocess.run(
        [sys.executable, "-c", program],
        input=blob,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.split()
    assert out == ["components.npm.resources", "ProxyHostProvider", "False"]


def test_an_unreachable_api_is_an_error_not_a_missing_object() -> None:
    with pytest.raises(httpx.ConnectError):
        ProxyHostProvider().read("1", host_inputs("http://127.0.0.1:9"))
