"""The edge stack of the Traefik tests: Pulumi.hub.yaml's hosts, networks, proxy and secrets
with its services replaced by the real Traefik and echo backends whose routes use every route
feature (host and path routing, websocket, basic auth, allow-list), and the proxy's ACME server
pointed at a local pebble. Written as a stack file and planned by the program like any stack;
the tests read their expectations from ``EDGE`` below and the config they wrote, never from the
code under test.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.plan import RecordedResource, plan_stack
from components.plan.passphrase import crypter_from_salt
from tests.secrets.example import EXAMPLE_PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
HUB_FILE = ROOT / "Pulumi.hub.yaml"


@dataclass(frozen=True)
class Edge:
    host: str = "edge.example.test"
    admin_host: str = "admin.example.test"
    ops_host: str = "ops.example.test"
    api_path: str = "/api"
    admin_user: str = "admin"
    admin_password: str = "correct horse battery staple"
    allowed: str = "198.51.100.0/24"  # TEST-NET-2: the engine namespace's "elsewhere" address
    port: int = 8080


EDGE = Edge()


def echo_service(
    name: str,
    routes: list[dict[str, Any]],
    *,
    machine: str = "hub",
    network: str = "web",
    port: int = EDGE.port,
) -> dict[str, Any]:
    """A stack file's service running the echo backend on ``port`` with ``routes``."""
    return {
        "machine": machine,
        "image": f"ghcr.io/example/{name}:1.0.0",
        "networks": [network],
        "env": {"ECHO_NAME": name, "PORT": str(port), "DRAIN": "3"},
        "resources": {"memoryMb": 64, "cpus": 0.5, "pids": 64},
        # Short, so a redeploy in the test takes seconds: wait_timeout = 0 + (1 + 1) * 3.
        "healthcheck": {
            "test": ["CMD", "wget", "-qO-", f"http://127.0.0.1:{port}/health"],
            "intervalSeconds": 1,
            "timeoutSeconds": 1,
            "retries": 2,
            "startPeriodSeconds": 0,
        },
        "expose": routes,
    }


def edge_config(acme_server: str, acme_ca_pem: str | None) -> dict[str, Any]:
    """The stack file's document."""
    document = yaml.safe_load(HUB_FILE.read_text())
    config = document["config"]
    hub_services = config["platform:services"]
    config["platform:proxy"] = {
        **config["platform:proxy"],
        "acmeServer": acme_server,
        "acmeCaCertificate": acme_ca_pem,
    }
    secrets = config["platform:secrets"]
    salt = document["encryptionsalt"]
    secret = crypter_from_salt(EXAMPLE_PASSPHRASE, salt).encrypt(EDGE.admin_password)
    secrets["edge"] = {"adminPassword": {"secure": secret}}
    route = {"kind": "route", "port": EDGE.port}
    config["platform:services"] = {
        "traefik": copy.deepcopy(hub_services["traefik"]),
        "edge-web": echo_service(
            "edge-web",
            [
                {**route, "host": EDGE.host, "websocket": True},
                {
                    **route,
                    "host": EDGE.admin_host,
                    "auth": {
                        "users": [
                            {
                                "username": EDGE.admin_user,
                                "password": {"secret": "edge.adminPassword"},
                            }
                        ]
                    },
                },
                {**route, "host": EDGE.ops_host, "auth": {"allowFrom": [EDGE.allowed]}},
            ],
        ),
        "edge-api": echo_service("edge-api", [{**route, "host": EDGE.host, "path": EDGE.api_path}]),
    }
    # Sections that name hub's other services go with them.
    for key in list(config):
        if key in ("platform:backups", "platform:monitoring", "platform:databases"):
            del config[key]
    return document


def plan_document(workdir: Path, stack: str, document: dict[str, Any]) -> list[RecordedResource]:
    """The plan of ``document`` as stack ``stack``'s file (written in ``workdir``)."""
    stack_file = workdir / f"Pulumi.{stack}.yaml"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    plan = plan_stack(ROOT, stack, config_file=stack_file, passphrase=EXAMPLE_PASSPHRASE)
    return plan.resources


def plan_edge(workdir: Path, acme_server: str, acme_ca_pem: str | None) -> list[RecordedResource]:
    return plan_document(workdir, "hub", edge_config(acme_server, acme_ca_pem))
