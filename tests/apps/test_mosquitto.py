"""The Mosquitto app: what it renders from the gaslyt stack's block, its version forms and its
checks. The broker itself is proven in test_mosquitto_broker.py."""

from __future__ import annotations

import base64
import copy
import re
from typing import Any

import pytest
import yaml

from components.apps import mosquitto
from components.derive.plan import stack_plan
from components.render import mosquitto as render
from components.spec.services import ServiceSpec
from components.values import Rendered
from tests.spec.spec_helpers import error_text, leaves, mutated, put
from tests.stacks import ROOT, stack_spec

STACK = yaml.safe_load((ROOT / "Pulumi.gaslyt.yaml").read_text())["config"]
BLOCK: dict[str, Any] = STACK["platform:services"]["mosquitto"]["app"]


def gaslyt(*mutations: Any) -> dict[str, Any]:
    """The gaslyt stack as the spec tests read a stack: placeholder text at each secret leaf."""
    document = {k.removeprefix("platform:"): v for k, v in STACK.items()}
    secrets: dict[str, Any] = {}
    for path in leaves(document["secrets"]):
        *parents, _secure = path.split(".")
        node = secrets
        for part in parents[:-1]:
            node = node.setdefault(part, {})
        node[parents[-1]] = f"placeholder-{path}"
    document["secrets"] = secrets
    return mutated(copy.deepcopy(document), *mutations)


def test_the_stack_block_becomes_five_files_owned_by_the_broker_user() -> None:
    plan = stack_plan(stack_spec("gaslyt")).services["mosquitto"]
    files = {f.path: f for f in plan.files}
    assert set(files) == {
        "/mosquitto/config/mosquitto.conf",
        "/mosquitto/config/acl",
        "/mosquitto/config/passwords",
        "/mosquitto/config/server.crt",
        "/mosquitto/config/server.key",
    }
    for file in files.values():
        # The image's mosquitto user (1883) alone reads them (2.x warns about anything else).
        assert (file.owner, file.group, file.mode) == ("1883", "1883", "0400")
    # Passwords, certificate and key are secrets; the config and ACL hold none.
    secret = {path for path, f in files.items() if isinstance(f.content, Rendered)}
    assert secret == {
        "/mosquitto/config/passwords",
        "/mosquitto/config/server.crt",
        "/mosquitto/config/server.key",
    }
    passwords = files["/mosquitto/config/passwords"].content
    assert isinstance(passwords, Rendered)
    assert sorted(passwords.secrets.values()) == sorted(
        user["password"]["secret"] for user in BLOCK["users"].values()
    )
    assert plan.user == "1883:1883"


def test_the_acl_file_holds_the_stacks_rules_and_nothing_else() -> None:
    plan = stack_plan(stack_spec("gaslyt")).services["mosquitto"]
    (acl,) = [f.content for f in plan.files if f.path == "/mosquitto/config/acl"]
    assert isinstance(acl, str)
    lines = [line for line in acl.splitlines() if line and not line.startswith("#")]
    expected = [f"pattern {p['access']} {p['topic']}" for p in BLOCK["patterns"]]
    for user in sorted(BLOCK["users"]):
        expected.append(f"user {user}")
        expected += [
            f"topic {e['access']} {e['topic']}" for e in BLOCK["users"][user].get("acl", [])
        ]
    assert lines == expected


def test_the_password_file_is_mosquitto_passwd_format_and_stable() -> None:
    text = render.password_file({"gateway": "s3cret-one", "api": "s3cret-one"})
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines] == ["api", "gateway"]
    pattern = re.compile(r"^[a-z]+:\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$")
    salts = set()
    for line in lines:
        match = pattern.fullmatch(line)
        assert match is not None, line
        iterations, salt, digest = match.groups()
        assert int(iterations) >= 1
        # The sizes 2.0.11 accepts: a 12-byte salt, a 64-byte SHA-512 hash.
        assert (len(base64.b64decode(salt)), len(base64.b64decode(digest))) == (12, 64)
        salts.add(salt)
    assert len(salts) == 2  # one password, two users: two salts
    # Same inputs, same file: an unchanged stack never replaces the broker.
    assert render.password_file({"api": "s3cret-one", "gateway": "s3cret-one"}) == text
    assert render.password_file({"api": "s3cret-two", "gateway": "s3cret-one"}) != text


@pytest.mark.parametrize(
    ("tag", "form"),
    [
        ("2.0.11", "options"),
        ("2.0.22", "options"),
        ("2.0.22-openssl", "options"),
        ("2.1.0", "plugins"),
        ("2.1.2-alpine", "plugins"),
        ("3.0", "plugins"),
    ],
)
def test_the_authentication_form_follows_the_image_version(tag: str, form: str) -> None:
    service = ServiceSpec.model_validate(
        {"machine": "m", "image": f"eclipse-mosquitto:{tag}", "app": BLOCK}
    )
    conf = render.mosquitto_conf(mosquitto.settings(service))
    lines = conf.splitlines()
    if form == "plugins":
        # docker/2.1-alpine/README.md:51-56 and the plugins' paths in the 2.1 images.
        assert [line for line in lines if line.startswith("plugin")] == [
            "plugin /usr/lib/mosquitto_password_file.so",
            "plugin_opt_password_file /mosquitto/config/passwords",
            "plugin /usr/lib/mosquitto_acl_file.so",
            "plugin_opt_acl_file /mosquitto/config/acl",
        ]
        assert not any(line.startswith(("password_file", "acl_file")) for line in lines)
    else:
        assert "password_file /mosquitto/config/passwords" in lines
        assert "acl_file /mosquitto/config/acl" in lines
        assert not any(line.startswith("plugin") for line in lines)
    assert "allow_anonymous false" in lines


def test_mistakes_in_the_block_are_named_at_once() -> None:
    app = ("services", "mosquitto", "app")
    text = error_text(
        gaslyt(
            put("services", "mosquitto", "image", value="eclipse-mosquitto@sha256:" + "a" * 64),
            put("services", "mosquitto", "user", value="0:0"),
            put(*app, "users", "telegraf", "acl", 0, "topic", value="devices/#/telemetry"),
            put(*app, "users", "gaslyt-api", "acl", 1, "topic", value="devices/%u/status"),
            put(*app, "patterns", 0, "topic", value="devices/+x/telemetry"),
            put(*app, "users", "bad:name", value={"password": {"secret": "mqtt.apiPassword"}}),
            put(
                "services",
                "mosquitto",
                "expose",
                value=[
                    {"kind": "forward", "protocol": "tcp", "ports": 8883},
                    {"kind": "forward", "protocol": "tcp", "ports": 1883},
                ],
            ),
        )
    )
    assert text.splitlines() == [
        "platform:services.mosquitto.image: eclipse-mosquitto@sha256:" + "a" * 64 + " is not "
        "eclipse-mosquitto:<version> of 2.0 or later; the app renders its authentication by the "
        "version in the tag (options up to 2.0.x, plugins from 2.1.0), so pin a tag such as "
        "eclipse-mosquitto:2.0.22",
        "platform:services.mosquitto.user: is 0:0; Mosquitto runs as its image's user "
        "1883:1883, which owns its config files (a broker started as root cannot switch users "
        "without capabilities)",
        "platform:services.mosquitto.expose: has 2 forwards; a Mosquitto service forwards "
        "exactly tcp 8883, its TLS listener",
        "platform:services.mosquitto.expose[1]: exposes 1883, the plain MQTT listener; it "
        "serves the broker's networks only (devices on the internet use the TLS port)",
        "platform:services.mosquitto.app.users.gaslyt-api.acl[1].topic: devices/%u/status uses "
        "%u or %c, which only a pattern substitutes; declare it under patterns",
        "platform:services.mosquitto.app.users.telegraf.acl[0].topic: devices/#/telemetry has "
        "'#' in the level '#'; '#' is only the whole last level",
        "platform:services.mosquitto.app.users.bad:name: is not a user name: letters, digits, "
        "'.', '_', '@', '-' (no ':'), at most 64, starting with a letter or digit",
        "platform:services.mosquitto.app.patterns[0].topic: devices/+x/telemetry has '+' inside "
        "the level '+x'; '+' stands for a whole level",
    ]


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ("", "is empty"),
        ("a b", "holds whitespace or a control character, which an ACL line cannot carry"),
        ("a\ntopic readwrite #", "holds whitespace or a control character"),
        ("a/#/b", "'#' is only the whole last level"),
        ("a/b#", "'#' is only the whole last level"),
        ("a+/b", "'+' stands for a whole level"),
        ("/".join(["x"] * 202), "has more than 200 levels"),
    ],
)
def test_an_acl_topic_the_broker_would_refuse_is_refused(topic: str, why: str) -> None:
    assert any(why in problem for problem in render.acl_topic_problems(topic, pattern=True))


@pytest.mark.parametrize("topic", ["#", "+", "a/+/b", "a/#", "devices/%u/#", "$SYS/broker/#"])
def test_a_topic_filter_the_broker_accepts_passes(topic: str) -> None:
    assert list(render.acl_topic_problems(topic, pattern=True)) == []


def test_the_plain_listener_is_reached_from_internal_networks_only() -> None:
    """Docker publishes 8883 through a non-internal network; in gaslyt that is mqtt-edge, which
    no other service joins, so 1883 is reached from the internal backend network alone."""
    services, networks = STACK["platform:services"], STACK["platform:networks"]
    joined = services["mosquitto"]["networks"]
    public = [n for n in joined if not networks[n].get("internal", False)]
    assert public == ["mqtt-edge"]
    members = sorted(name for name, s in services.items() if "mqtt-edge" in s.get("networks", []))
    assert members == ["mosquitto"]
    internal = [n for n in joined if networks[n].get("internal", False)]
    assert internal == ["backend"]
    # The services that use the plain listener share that internal network with it.
    plain_clients = [
        name
        for name, s in services.items()
        if str(s.get("env", {}).get("MQTT_BROKER_PORT")) == str(BLOCK.get("plainPort", 1883))
    ]
    assert plain_clients
    assert all("backend" in services[name]["networks"] for name in plain_clients)
