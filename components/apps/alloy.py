"""Grafana Alloy, the log agent: a sidecar on every engine, shipping each container's log.

Not an app of its own: Loki's app (components/apps/loki.py) runs it through the sidecar hook,
one ``alloy-<machine>`` per engine, on the network it shares with Loki there. Its config is
components/render/alloy.py.

- The Docker API socket, mounted read-only, is how ``discovery.docker`` and
  ``loki.source.docker`` see containers and read their logs. Read-only stops nothing on a
  socket: the agent can drive the engine, a declared exception to the pack's socket rule.
- It runs as the image's default user, root (grafana/alloy v1.18.1 Dockerfile:70-78 creates a
  user alloy "but do[es] not set it as default"): the socket is root's (and the docker group's,
  whose id differs per host). With every capability dropped, root cannot write the image's
  /var/lib/alloy (alloy:alloy, mode 770), so its storage (read positions) is under /tmp: a new
  container reads the logs again from what the engine keeps.
- Its health check asks Alloy's own HTTP server (127.0.0.1:12345, ``/-/ready``) through bash,
  which the Ubuntu-based image has and which needs no curl or wget.
"""

from __future__ import annotations

from components.render.alloy import CONFIG_PATH, DOCKER_SOCKET, AlloySettings, alloy_config
from components.values import FilePlan, Sidecar

NAME = "alloy"
HTTP_ADDRESS = "127.0.0.1:12345"
STORAGE = "/tmp/alloy"  # the container's own /tmp, see the module docstring
SOCKET_REASON = (
    "Alloy lists the engine's containers and reads their logs through the Docker API "
    "(discovery.docker, loki.source.docker). A read-only bind does not restrict that API: the "
    "log agent can control the engine. It joins only the network it shares with Loki."
)
_READY = (
    f"exec 3<>/dev/tcp/{HTTP_ADDRESS.replace(':', '/')} && "
    'printf "GET /-/ready HTTP/1.0\\r\\n\\r\\n" >&3 && grep -q "200 OK" <&3'
)


def sidecar(image: str, network: str, push_url: str) -> Sidecar:
    """The agent on every engine: pushes to ``push_url`` over ``network``."""
    config = alloy_config(AlloySettings(push_url=push_url))
    return Sidecar(
        name=NAME,
        image=image,
        command=(
            "run",
            CONFIG_PATH,
            f"--storage.path={STORAGE}",
            f"--server.http.listen-addr={HTTP_ADDRESS}",
        ),
        networks=(network,),
        binds=((DOCKER_SOCKET, DOCKER_SOCKET),),
        healthcheck=("CMD", "bash", "-c", _READY),
        memory_mb=256,
        cpus=0.25,
        pids=128,
        policy_exceptions={"docker-container-no-docker-socket": SOCKET_REASON},
        files=(FilePlan(path=CONFIG_PATH, content=config, mode="0444"),),
    )
