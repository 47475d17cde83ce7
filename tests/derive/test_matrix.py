"""The connectivity matrix, checked against seed 004's own table."""

from __future__ import annotations

from pathlib import Path

from components.derive import connectivity
from components.plan.stack_spec import read_stack_spec

ROOT = Path(__file__).resolve().parents[2]

# Seed 004 (Versatile Hub), "Matriz de Conectividad", as written there; `hub-redis-*` stands
# for hub-redis-cache and hub-redis-queue.
SEED_TABLE = """\
| **agent** | ✓ | ✓ | ✗ | ✗ |
| **chat-web** | ✓ | ✗ | ✓ | ✗ |
| **chat-worker** | ✗ | ✗ | ✓ | ✗ |
| **chat-postgres** | ✗ | ✗ | ✓ | ✗ |
| **chat-redis** | ✗ | ✗ | ✓ | ✗ |
| **chat-bridge** | ✓ | ✓ | ✓ | ✗ |
| **hub-frontend** | ✓ | ✗ | ✗ | ✓ |
| **hub-backend** | ✗ | ✓ | ✗ | ✓ |
| **hub-websocket** | ✗ | ✗ | ✗ | ✓ |
| **hub-worker** | ✗ | ✗ | ✗ | ✓ |
| **hub-scheduler** | ✗ | ✗ | ✗ | ✓ |
| **hub-db** | ✗ | ✗ | ✗ | ✓ |
| **hub-redis-*** | ✗ | ✗ | ✗ | ✓ |"""
SEED_NETWORKS = ("web", "shared", "chat-internal", "hub-internal")
# The one network the stack adds to the seed's: platform:monitoring's, which no service of the
# seed joins (only the set and the exporters the stack derives do).
MONITORING = "monitoring"


def _seed_rows() -> dict[str, tuple[bool, ...]]:
    rows = {}
    for line in SEED_TABLE.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        name = cells[0].removeprefix("**").removesuffix("**")
        flags = tuple(cell == "✓" for cell in cells[1:])
        names = ["hub-redis-cache", "hub-redis-queue"] if name == "hub-redis-*" else [name]
        rows.update(dict.fromkeys(names, flags))
    return rows


def test_hub_matrix_is_the_seed_table_plus_traefik_on_web() -> None:
    matrix = connectivity(read_stack_spec(ROOT / "Pulumi.hub.yaml"))
    assert matrix.networks == (*SEED_NETWORKS, MONITORING)
    assert [s for s in matrix.services if matrix.connected(s, MONITORING)] == []
    observed = {
        service: tuple(matrix.connected(service, n) for n in SEED_NETWORKS)
        for service in matrix.services
    }
    assert observed.pop("traefik") == (True, False, False, False)
    assert observed == _seed_rows()


def test_hub_databases_are_never_on_web() -> None:
    spec = read_stack_spec(ROOT / "Pulumi.hub.yaml")
    matrix = connectivity(spec)
    databases = ["chat-postgres", "chat-redis", "hub-db", "hub-redis-cache", "hub-redis-queue"]
    assert [s for s in databases if matrix.connected(s, "web")] == []


def test_table_renders_in_the_seed_shape() -> None:
    table = connectivity(read_stack_spec(ROOT / "Pulumi.hub.yaml")).as_table()
    lines = table.splitlines()
    assert lines[0] == "| Service | web | shared | chat-internal | hub-internal | monitoring |"
    assert lines[1] == "|---|---|---|---|---|---|"
    assert "| **chat-bridge** | ✓ | ✓ | ✓ | ✗ | ✗ |" in lines
    assert "| **hub-redis-queue** | ✗ | ✗ | ✗ | ✓ | ✗ |" in lines


def test_share_network() -> None:
    matrix = connectivity(read_stack_spec(ROOT / "Pulumi.hub.yaml"))
    assert matrix.share_network("agent", "hub-backend")  # shared
    assert matrix.share_network("chat-bridge", "chat-postgres")  # chat-internal
    assert not matrix.share_network("agent", "chat-postgres")
    assert matrix.share_network("hub-frontend", "chat-web")  # both on web


def test_services_on_different_engines_never_share_a_network() -> None:
    # prod's guests each have their own engine and their own `app` network.
    matrix = connectivity(read_stack_spec(ROOT / "Pulumi.prod.yaml"))
    assert matrix.connected("backend", "app")
    assert matrix.connected("frontend", "app")
    assert not matrix.share_network("backend", "frontend")
    assert matrix.share_network("redis", "redis")
    lines = matrix.as_table().splitlines()
    # The stack file's networks, in its order: `monitoring` is the monitoring set's.
    assert lines[0] == "| Service | Machine | app | monitoring |"
    assert "| **redis** | livekit | ✓ | ✗ |" in lines
    assert "| **livekit** | livekit | ✗ | ✗ |" in lines  # host network
