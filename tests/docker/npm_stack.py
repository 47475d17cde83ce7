"""The NPM edge stack of the Docker tests: Pulumi.staging.yaml's droplet, network, proxy (Nginx
Proxy Manager) and npm service as the stack file declares them, with the routed app host's
services (the frontend at ``/``, the backend at ``/api``) replaced by echo backends on the same
routes and ports, and the services nothing routes to dropped. Planned by the program like any
stack. NPM's objects are not created through its API here (NPM's backend cannot run): each
proxy host the plan declares is turned into the body the program sends (components/proxies/
npm_api.py ``proxy_host_body``) and rendered as NPM renders it (tests/docker/npm_nginx.py) onto
the npm service's data volume, its certificate onto the letsencrypt volume; expectations come
from ``STAGING`` (read from the stack file), never from the code under test.
"""

from __future__ import annotations

import copy
import io
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.plan import RecordedResource
from components.proxies.npm_api import proxy_host_body

from .edge_stack import echo_service, plan_document
from .engine import DockerEngine
from .harness import StackDecl, _plain
from .nginx_stack import _certificate
from .npm_nginx import for_debian_nginx, render_proxy_host

ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = ROOT / "Pulumi.staging.yaml"


@dataclass(frozen=True)
class AppRoutes:
    """The stack file's app host: the service at ``/`` and the one at a path."""

    host: str
    root_service: str
    root_port: int
    path_service: str
    path: str
    path_port: int


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(STACK_FILE.read_text())
    return document


def app_routes() -> AppRoutes:
    services = _document()["config"]["platform:services"]
    routes = [
        (name, expose)
        for name, service in services.items()
        for expose in service.get("expose", [])
        if expose["kind"] == "route" and expose["host"].startswith("app.")
    ]
    (root, root_route), (path, path_route) = sorted(routes, key=lambda r: r[1].get("path", "/"))
    assert "path" not in root_route
    assert path_route["path"] != "/"
    return AppRoutes(
        root_route["host"], root, root_route["port"], path, path_route["path"], path_route["port"]
    )


STAGING = app_routes()


def staging_config() -> dict[str, Any]:
    document = _document()
    config = document["config"]
    services = config["platform:services"]
    proxy = config["platform:proxy"]["service"]
    machine, network = services[proxy]["machine"], services[proxy]["networks"][0]
    kept = {proxy: copy.deepcopy(services[proxy])}
    for name in (STAGING.root_service, STAGING.path_service):
        routes = [copy.deepcopy(e) for e in services[name]["expose"] if e["kind"] == "route"]
        port = routes[0]["port"]
        kept[name] = echo_service(name, routes, machine=machine, network=network, port=port)
    config["platform:services"] = kept
    for key in ("platform:backups", "platform:monitoring", "platform:databases"):
        config.pop(key, None)
    return document


def plan_staging(workdir: Path) -> list[RecordedResource]:
    return plan_document(workdir, "staging", staging_config())


def proxy_host_rows(resources: list[RecordedResource]) -> dict[str, dict[str, Any]]:
    """host -> the row NPM renders: the body the program sends for each proxy host of the plan,
    with the ids NPM would give it, its certificate, and its access list as NPM expands it
    (the ids are unknown in a plan: numbered here)."""
    rows = {}
    lists = {r.inputs["name"]: r.inputs for r in resources if "satisfyAny" in r.inputs}
    hosts = [r for r in resources if r.name.startswith("npm-routes-proxy-host-")]
    for index, res in enumerate(sorted(hosts, key=lambda r: r.name), start=1):
        inputs = res.inputs
        host = inputs["domainNames"][0]
        access = lists.get(host)
        list_id = 200 + index if access is not None else 0
        body = proxy_host_body({**inputs, "certificateId": 100 + index, "accessListId": list_id})
        certificate = {"id": body["certificate_id"], "provider": "letsencrypt"}
        access_list = None
        if access is not None:
            # A read with expand items,clients: passwords come back empty (npm_api.py).
            access_list = {
                "id": list_id,
                "satisfy_any": access["satisfyAny"],
                "pass_auth": access["passAuth"],
                "items": [
                    {"username": i["username"], "password": ""} for i in _plain(access["items"])
                ],
                "clients": _plain(access["clients"]),
            }
        rows[host] = {"id": index, **body, "certificate": certificate, "access_list": access_list}
    return rows


def npm_files(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, bytes]:
    """Container path -> content: each row's config where NPM writes it (rendered as NPM does,
    for Debian's nginx) and a certificate for its host where NPM's certbot keeps it."""
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows.values():
            host = row["domain_names"][0]
            config = for_debian_nginx(render_proxy_host(row))
            files[f"/data/nginx/proxy_host/{row['id']}.conf"] = config.encode()
            live = f"/etc/letsencrypt/live/npm-{row['certificate_id']}"
            for name, pem in _certificate(host, Path(tmp) / host).items():
                files[f"{live}/{Path(name).name}"] = pem
    return files


def files_tar(files: Mapping[str, bytes], under: str = "/") -> bytes:
    """The files below ``under``, as a tar to extract there."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, content in files.items():
            if not path.startswith(under):
                continue
            info = tarfile.TarInfo(path.removeprefix(under).lstrip("/"))
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def install_npm_files(
    engine: DockerEngine, stack: StackDecl, files: Mapping[str, bytes], image: str
) -> None:
    """Put ``files`` on the npm service's volumes (their mount paths as the plan records them),
    through a container of ``image`` that mounts each."""
    api = engine.api
    npm = next(c for c in stack.containers if c.node == "npm")
    for volume in npm.volumes:
        assert volume.volume_name is not None
        api.create_volume(volume.volume_name)
        binds = [f"{volume.volume_name}:/volume:rw"]
        helper = api.create_container(image, host_config=api.create_host_config(binds=binds))
        try:
            api.put_archive(helper["Id"], "/volume", files_tar(files, volume.container_path))
        finally:
            api.remove_container(helper["Id"], force=True)
