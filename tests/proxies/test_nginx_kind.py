"""The plain Nginx kind on the jupiter-minimal stack: its routes become sites, the files it puts
into the container pass Debian's real ``nginx -t`` in both phases, its users file is a secret
hashed from the stack's secret, and the spec refuses what would break it (a command, a borrowed
volume that is not read-only or not its owner's).

Expectations come from the stack file (its route exposures, its secrets' paths) and from the
real nginx, never from the renderer.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from components.derive import proxy_routes
from components.derive.plan import stack_plan
from components.plan import plan_stack
from components.plan.stack_spec import read_stack_spec
from components.proxies import nginx as nginx_kind
from components.spec import SpecError
from components.values import FilePlan, Rendered
from tests.stacks import ROOT, stack_spec
from tests.tools import require

STACK = "jupiter-minimal"


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())
    return document


def _routes_in_the_stack_file() -> list[tuple[str, str, str, int, bool, bool]]:
    services = _document()["config"]["platform:services"]
    return sorted(
        (
            expose["host"],
            expose.get("path", "/"),
            name,
            expose["port"],
            expose.get("websocket", False),
            bool(expose.get("auth", {}).get("users")),
        )
        for name, service in services.items()
        for expose in service.get("expose", [])
        if expose["kind"] == "route"
    )


def test_each_route_of_the_stack_is_a_location_of_its_host() -> None:
    spec = stack_spec(STACK)
    assert spec.proxy is not None
    settings = nginx_kind.settings(spec.proxy, proxy_routes(spec))
    found = sorted(
        (
            site.host,
            loc.path,
            loc.upstream_host,
            loc.upstream_port,
            loc.websocket,
            loc.users_file is not None,
        )
        for site in settings.sites
        for loc in site.locations
    )
    # Upstreams are the services' network aliases: nginx and they share the stack's network.
    assert found == _routes_in_the_stack_file()
    assert [p for _, p, *_ in found] == ["/", "/api", "/rabbitmq"]  # seed 001's three routes
    assert settings.resolver == "127.0.0.11"


def _nginx_files() -> tuple[FilePlan, ...]:
    return stack_plan(stack_spec(STACK)).services["nginx"].files


@pytest.fixture(scope="module")
def root() -> Iterator[Path]:
    """The container's files under a temporary root, readable by nginx's workers."""
    require("nginx", "openssl")
    directory = Path(tempfile.mkdtemp(prefix="nginx-kind-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


def _relocated(text: str, root: Path) -> str:
    for prefix in ("/etc/nginx/", "/etc/letsencrypt/", "/var/www/"):
        text = text.replace(prefix, f"{root}{prefix}")
    return text


def _nginx_t(root: Path, phase: str) -> subprocess.CompletedProcess[str]:
    files = {f.path: f for f in _nginx_files()}
    for path, plan in files.items():
        if isinstance(plan.content, str):
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_relocated(plan.content, root))
    active = root / "etc/nginx/selfhosted/active"
    shutil.rmtree(active, ignore_errors=True)
    active.mkdir(parents=True)
    for site in (root / "etc/nginx/selfhosted/sites").glob(f"*.{phase}.conf"):
        host = site.name.removesuffix(f".{phase}.conf")
        shutil.copy(site, active / f"{host}.conf")
    conf = root / "nginx.conf"
    conf.write_text(
        f"pid {root / 'nginx.pid'};\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n    include {root}/etc/nginx/conf.d/*.conf;\n}}\n"
    )
    return subprocess.run(
        ["nginx", "-t", "-p", str(root), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_first_up_config_passes_nginx_t(root: Path) -> None:
    # No certificate yet: every host in phase 1.
    checked = _nginx_t(root, "acme")
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_the_tls_config_passes_nginx_t_once_certificates_exist(root: Path) -> None:
    hosts = {route[0] for route in _routes_in_the_stack_file()}
    for host in hosts:
        live = root / "etc/letsencrypt/live" / host
        live.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", str(live / "privkey.pem"), "-out", str(live / "fullchain.pem"),
             "-days", "1", "-subj", f"/CN={host}"],
            capture_output=True, check=True, timeout=30,
        )  # fmt: skip
    checked = _nginx_t(root, "tls")
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_the_users_file_is_a_secret_hashed_from_the_routes_secret(tmp_path: Path) -> None:
    # jupiter-minimal's one authenticated route (/rabbitmq) is limited by network, so the test
    # gives the API route a basic-auth user with one of the stack's own secrets.
    document = _document()
    user = {"username": "ops", "password": {"secret": "rabbitmq.adminPassword"}}
    api = next(
        expose
        for service in document["config"]["platform:services"].values()
        for expose in service.get("expose", [])
        if expose.get("path") == "/api"
    )
    api["auth"] = {"users": [user]}
    stack_file = tmp_path / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    files = stack_plan(read_stack_spec(stack_file)).services["nginx"].files
    users = [f for f in files if "/users/" in f.path]
    assert len(users) == 1
    content = users[0].content
    assert isinstance(content, Rendered)  # resolved at apply time, a Pulumi secret
    assert list(content.secrets.values()) == [user["password"]["secret"]]
    assert (users[0].mode, users[0].owner, users[0].group) == ("0440", "0", "101")
    (argument,) = content.secrets
    text = content.render({argument: "example password"})
    name, hashed = text.strip().split(":", 1)
    assert name == user["username"]
    assert bcrypt.checkpw(b"example password", hashed.encode())
    assert not bcrypt.checkpw(b"another password", hashed.encode())
    # The same secret gives the same file: no new container on every `up`.
    assert content.render({argument: "example password"}) == text
    assert content.render({argument: "another password"}) != text


def _refused(tmp_path: Path, edit: Any) -> str:
    document = _document()
    edit(document["config"])
    stack_file = tmp_path / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(SpecError) as caught:
        read_stack_spec(stack_file)
    return str(caught.value)


def test_a_command_on_nginx_is_refused(tmp_path: Path) -> None:
    def edit(config: dict[str, Any]) -> None:
        config["platform:services"]["nginx"]["command"] = ["nginx", "-g", "daemon off;"]

    assert _refused(tmp_path, edit) == (
        "platform:services.nginx.command: is set: the nginx image runs the stack's TLS switch "
        "from /docker-entrypoint.d/ only with its own command; remove the command"
    )


def test_a_borrowed_volume_must_be_read_only_and_its_owners(tmp_path: Path) -> None:
    def edit(config: dict[str, Any]) -> None:
        volumes = config["platform:services"]["nginx"]["volumes"]
        volumes[0]["readOnly"] = False
        volumes[1]["name"] = "postgres-data"
        volumes.append({"name": "x", "path": "/x", "readOnly": True, "owner": "missing"})

    assert _refused(tmp_path, edit).splitlines() == [
        "platform:services.nginx.volumes[0].readOnly: is false: a volume of another service is "
        "mounted read-only (readOnly: true); only its owner writes it",
        "platform:services.nginx.volumes[1].name: postgres-data is not a volume "
        "platform:services.certbot mounts on jupiter (it mounts acme-webroot, letsencrypt on "
        "jupiter)",
        "platform:services.nginx.volumes[2].owner: missing is not another service of "
        "platform:services",
    ]


def test_a_borrower_cannot_lend(tmp_path: Path) -> None:
    def edit(config: dict[str, Any]) -> None:
        config["platform:services"]["web"]["volumes"] = [
            {"name": "letsencrypt", "path": "/certs", "readOnly": True, "owner": "nginx"}
        ]

    text = _refused(tmp_path, edit)
    assert "platform:services.web.volumes[0].owner: nginx mounts a borrowed volume itself" in text
    assert "platform:services.web.volumes[0].name: letsencrypt is not a volume" in text


def test_the_borrowers_container_waits_for_the_owners_volumes() -> None:
    # The program under Pulumi's mock runtime, with the policy pack (components.plan).
    resources = {r["name"]: r for r in plan_stack(ROOT, STACK).as_json()["resources"]}
    nginx = resources["nginx-container"]
    assert {v["volumeName"]: v["readOnly"] for v in nginx["inputs"]["volumes"]} == {
        "acme-webroot": True,
        "letsencrypt": True,
    }
    assert "nginx-acme-webroot" not in resources  # declared once, by certbot
    owners = [u for u in nginx["dependencies"] if "docker:index/volume:Volume::certbot-" in u]
    assert len(owners) == 2
    # certbot's image has certbot as its entrypoint: the stack's loop replaces it.
    stack_certbot = _document()["config"]["platform:services"]["certbot"]
    certbot = resources["certbot-container"]["inputs"]
    assert certbot["entrypoints"] == stack_certbot["entrypoint"] == ["sh", "-c"]
    assert certbot["command"] == stack_certbot["command"]
