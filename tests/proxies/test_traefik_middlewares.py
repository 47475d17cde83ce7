"""Traefik's route middlewares and ACME settings, from the stack file to the plan.

Expectations come from the stack files written here and from the tools: a basic-auth hash is
checked with bcrypt's own ``checkpw`` (what Traefik's go-http-auth does with an htpasswd line),
label keys are Traefik's documented Docker label keys. What Traefik does with them is proven
with the real Traefik in tests/docker/test_traefik_edge.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from components.derive import proxy_routes
from components.derive.plan import stack_plan
from components.plan.stack_spec import read_stack_spec
from components.proxies import traefik as traefik_kind
from components.spec import SpecError
from components.values import Rendered
from tests.docker.edge_stack import EDGE, edge_config, plan_edge
from tests.stacks import ROOT, is_secret

CA_PEM = "-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n"


def _edge_file(tmp_path: Path, acme_server: str = "https://192.0.2.10:14000/dir") -> Path:
    stack_file = tmp_path / "Pulumi.hub.yaml"
    stack_file.write_text(yaml.safe_dump(edge_config(acme_server, CA_PEM), sort_keys=False))
    return stack_file


def _labels(tmp_path: Path) -> dict[str, str | Rendered]:
    spec = read_stack_spec(_edge_file(tmp_path))
    assert spec.proxy is not None
    return dict(traefik_kind.route_labels(spec.proxy, "edge-web", proxy_routes(spec), "web"))


def _router(labels: dict[str, Any], host: str) -> str:
    (key,) = [k for k, v in labels.items() if k.endswith(".rule") and v == f"Host(`{host}`)"]
    return key.split(".")[3]


def test_the_kind_applies_basic_auth_and_allow_lists() -> None:
    assert frozenset({"users", "allowFrom"}) == traefik_kind.AUTH


def test_middleware_chains_follow_the_routes(tmp_path: Path) -> None:
    labels = _labels(tmp_path)
    admin, ops, web = (_router(labels, h) for h in (EDGE.admin_host, EDGE.ops_host, EDGE.host))
    chain = {r: labels[f"traefik.http.routers.{r}.middlewares"] for r in (admin, ops, web)}
    assert chain == {
        admin: f"{admin}-auth,{admin}-headers,{admin}-retry",
        ops: f"{ops}-allow,{ops}-headers,{ops}-retry",
        web: f"{web}-headers,{web}-retry",
    }
    assert labels[f"traefik.http.middlewares.{ops}-allow.ipallowlist.sourcerange"] == EDGE.allowed
    # Every router is on the HTTPS entrypoint only (the HTTP one redirects in the static config).
    entrypoints = {v for k, v in labels.items() if k.endswith(".entrypoints")}
    assert entrypoints == {"websecure"}
    assert labels["traefik.docker.network"] == "web"


def test_basic_auth_is_a_bcrypt_line_of_the_secret_password(tmp_path: Path) -> None:
    labels = _labels(tmp_path)
    admin = _router(labels, EDGE.admin_host)
    value = labels[f"traefik.http.middlewares.{admin}-auth.basicauth.users"]
    assert isinstance(value, Rendered)
    assert dict(value.secrets) == {"user0": "edge.adminPassword"}
    line = value.render({"user0": EDGE.admin_password})
    user, _, hashed = line.partition(":")
    assert user == EDGE.admin_user
    assert hashed.startswith("$2y$05$")  # htpasswd -B's form and default cost
    assert bcrypt.checkpw(EDGE.admin_password.encode(), hashed.encode())
    assert not bcrypt.checkpw(b"wrong", hashed.encode())
    # The same secret gives the same label (no replacement on every up); another does not.
    assert value.render({"user0": EDGE.admin_password}) == line
    assert value.render({"user0": "another password"}) != line


def test_the_salt_depends_on_the_user_too() -> None:
    one = traefik_kind.htpasswd_line("alice", "same")
    two = traefik_kind.htpasswd_line("bob", "same")
    assert one.split(":", 1)[1][:29] != two.split(":", 1)[1][:29]  # $2y$05$ + 22 salt chars


def test_the_users_label_is_a_secret_and_the_acme_volume_protected(tmp_path: Path) -> None:
    spec = read_stack_spec(_edge_file(tmp_path))
    service = stack_plan(spec).services["edge-web"]
    assert not any("basicauth" in key for key in service.labels)
    assert [k for k in service.secret_labels if k.endswith(".basicauth.users")]
    resources = plan_edge(tmp_path, "https://192.0.2.10:14000/dir", CA_PEM)
    (container,) = [r for r in resources if r.name == "edge-web-container"]
    users = [
        item["value"]
        for item in container.inputs["labels"]
        if item["label"].endswith(".basicauth.users")
    ]
    assert len(users) == 1
    assert is_secret(users[0])
    assert EDGE.admin_password not in str(container.inputs)
    # acme.json's volume is protected, as every volume of the stack.
    (volume,) = [r for r in resources if r.type == "docker:index/volume:Volume"]
    assert (volume.inputs["name"], volume.protect) == ("traefik-letsencrypt", True)


def test_a_test_ca_goes_to_traefik_as_lego_ca_certificates(tmp_path: Path) -> None:
    plan = stack_plan(read_stack_spec(_edge_file(tmp_path))).services["traefik"]
    files = {f.path: f.content for f in plan.files}
    assert files["/etc/traefik/acme-ca.pem"] == CA_PEM
    assert plan.env["LEGO_CA_CERTIFICATES"] == "/etc/traefik/acme-ca.pem"
    static = yaml.safe_load(str(files["/etc/traefik/traefik.yml"]))
    (resolver,) = static["certificatesResolvers"].values()
    assert resolver["acme"]["caServer"] == "https://192.0.2.10:14000/dir"


def test_lets_encrypt_production_is_traefiks_own_default(tmp_path: Path) -> None:
    production = "https://acme-v02.api.letsencrypt.org/directory"
    plan = stack_plan(read_stack_spec(_edge_file(tmp_path, production))).services["traefik"]
    static = yaml.safe_load(str(next(f.content for f in plan.files if f.path.endswith(".yml"))))
    (resolver,) = static["certificatesResolvers"].values()
    assert "caServer" not in resolver["acme"]


def _hub_with(tmp_path: Path, **proxy: Any) -> Path:
    document = yaml.safe_load((ROOT / "Pulumi.hub.yaml").read_text())
    document["config"]["platform:proxy"].update(proxy)
    stack_file = tmp_path / "Pulumi.hub.yaml"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    return stack_file


def test_acme_storage_off_the_proxy_volume_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        read_stack_spec(_hub_with(tmp_path, acmeStorage="/data/acme.json"))
    assert str(caught.value) == (
        "platform:proxy.acmeStorage: '/data/acme.json' is not on a volume of service "
        "'traefik' (its writable volume paths: /letsencrypt): add a volume at '/data' under "
        "services.traefik.volumes, or point acmeStorage into one"
    )
    # Inside the volume, in a subdirectory, is fine.
    read_stack_spec(_hub_with(tmp_path, acmeStorage="/letsencrypt/prod/acme.json"))


@pytest.mark.parametrize(
    ("field", "value"),
    [("acmeServer", "ftp://acme.example/dir"), ("acmeCaCertificate", "not a certificate")],
)
def test_bad_acme_settings_name_the_field(tmp_path: Path, field: str, value: str) -> None:
    with pytest.raises(SpecError) as caught:
        read_stack_spec(_hub_with(tmp_path, **{field: value}))
    assert str(caught.value).startswith(f"platform:proxy.{field}: ")
