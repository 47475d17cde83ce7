"""The Nginx edge stack of the Docker tests and the benchmark: Pulumi.jupiter-minimal.yaml's host,
networks, proxy (plain Nginx) and its nginx service as the stack file declares them, with the
web app and the app server replaced by echo backends (tests/docker/echo.py) on the same routes
(the app's host at ``/``, ``/api`` to the app server), and the services nothing routes to
dropped. certbot stays (the nginx service borrows its volumes) and runs as the probe: its
certificate is put on the volume by the tests (``install_certificate``), as certbot would.
Written as a stack file and planned by the program like any stack; expectations come from
``JUPITER`` and the stack file, never from the code under test.
"""

from __future__ import annotations

import copy
import io
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.plan import RecordedResource
from tests.network.test_nginx_proxy import _self_signed

from .edge_stack import echo_service, plan_document
from .engine import DockerEngine
from .harness import StackDecl

ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = ROOT / "Pulumi.jupiter-minimal.yaml"
LETSENCRYPT = "/etc/letsencrypt"


@dataclass(frozen=True)
class Jupiter:
    host: str = "app.jupiter.example.com"  # the stack file's route host
    api_path: str = "/api"
    web_port: int = 3000
    api_port: int = 8000


JUPITER = Jupiter()


def _echo(name: str, port: int, route: dict[str, Any]) -> dict[str, Any]:
    routes = [{"kind": "route", "port": port, **route}]
    return echo_service(name, routes, machine="jupiter", network="jupiter", port=port)


def jupiter_config() -> dict[str, Any]:
    """The stack file's document."""
    document = yaml.safe_load(STACK_FILE.read_text())
    config = document["config"]
    services = config["platform:services"]
    config["platform:services"] = {
        "nginx": copy.deepcopy(services["nginx"]),
        "certbot": copy.deepcopy(services["certbot"]),
        "web": _echo("web", JUPITER.web_port, {"host": JUPITER.host}),
        "api": _echo("api", JUPITER.api_port, {"host": JUPITER.host, "path": JUPITER.api_path}),
    }
    for key in ("platform:backups", "platform:monitoring", "platform:databases"):
        config.pop(key, None)
    return document


def plan_jupiter(workdir: Path) -> list[RecordedResource]:
    return plan_document(workdir, "jupiter-minimal", jupiter_config())


def _certificate(host: str, directory: Path) -> dict[str, bytes]:
    """A certificate for ``host`` signed by a throwaway CA (the nginx network test's helper),
    as certbot's live/<host>/ files."""
    _self_signed(directory, host)
    return {
        f"live/{host}/{name}": (directory / name).read_bytes()
        for name in ("privkey.pem", "fullchain.pem")
    }


def letsencrypt_volume(stack: StackDecl) -> str:
    """The named volume the nginx service reads its certificates from (as the plan records)."""
    nginx = next(c for c in stack.containers if c.node == "nginx")
    volume = next(v for v in nginx.volumes if v.container_path == LETSENCRYPT)
    assert volume.volume_name is not None
    return volume.volume_name


def install_certificate(engine: DockerEngine, stack: StackDecl, image: str) -> None:
    """Write a certificate for the route host onto the certificates volume before nginx starts
    (what certbot's first pass does), through a container of ``image`` that mounts it."""
    api = engine.api
    volume = letsencrypt_volume(stack)
    api.create_volume(volume)
    with tempfile.TemporaryDirectory() as tmp:
        files = _certificate(JUPITER.host, Path(tmp))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"certs/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    config = api.create_host_config(binds=[f"{volume}:/certs:rw"])
    helper = api.create_container(image, host_config=config)
    try:
        api.put_archive(helper["Id"], "/", buf.getvalue())
    finally:
        api.remove_container(helper["Id"], force=True)
