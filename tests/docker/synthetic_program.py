"""A small Pulumi program with pulumi_docker, shaped like seed 004, for the probe harness tests.

Networks: ``web`` (public side), ``shared`` (between applications) and ``internal-x`` (internal,
172.31.0.0/16 on a bridge named ``br-hub``, like the seed's hub-internal). Containers:

    proxy   web                    publishes 127.0.0.1:8080 -> tcp/80
    app     web, shared            alias app-svc on web; publishes 127.0.0.1 (random port) -> 3000
    api     shared, internal-x     alias api-svc on internal-x; udp range 9000-9010
    db      internal-x             fixed address 172.31.0.10
    worker  internal-x             no name (stateless: reached by its alias), alias jobs
    media   web                    publishes 203.0.113.10:7882/udp (a documentation address)
                                   and 0.0.0.0:7881/tcp
    livekit host networking        tcp/7880 and udp 50000-60000 in the engine's namespace

``proxy`` is also given two files (``uploads``): a config file with a mode, owner and group, in
a directory the probe image does not have, and a base64 one marked executable.

``extra_networks`` attaches a container to more networks: the negative control.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi_docker as docker

IMAGE = "registry.example/app:1.0.0"  # never pulled: the probe image stands in for it


@dataclass(frozen=True)
class Service:
    networks: dict[str, list[str]]  # network -> aliases on it
    listen: str  # the selfhosted.listen label
    ports: tuple[tuple[int, int | None, str, str], ...] = ()  # (internal, external, ip, proto)
    address: str | None = None  # fixed IPv4 address on the first network
    named: bool = True  # False: no container name (stateless, reached by alias)
    network_mode: str | None = None
    uploads: tuple[docker.ContainerUploadArgs, ...] = ()


UPLOADS = (
    docker.ContainerUploadArgs(
        file="/etc/proxy/proxy.yml",
        content="listen: 80\n",
        permissions="0640",
        owner="1000",
        group="1001",
    ),
    docker.ContainerUploadArgs(
        file="/usr/local/bin/hello", content_base64="IyEvYmluL3NoCmVjaG8gaGkK", executable=True
    ),
)

SERVICES = {
    "proxy": Service(
        {"web": []}, "tcp/80", ports=((80, 8080, "127.0.0.1", "tcp"),), uploads=UPLOADS
    ),
    "app": Service(
        {"web": ["app-svc"], "shared": []},
        "tcp/3000",
        ports=((3000, None, "127.0.0.1", "tcp"),),  # no host port: Docker picks one
    ),
    "api": Service({"shared": [], "internal-x": ["api-svc"]}, "tcp/8000,udp/9000-9010"),
    "db": Service({"internal-x": []}, "tcp/5432", address="172.31.0.10"),
    "worker": Service({"internal-x": ["jobs"]}, "tcp/9100", named=False),
    "media": Service(
        {"web": []},
        "",
        ports=((7882, 7882, "203.0.113.10", "udp"), (7881, 7881, "0.0.0.0", "tcp")),
    ),
    "livekit": Service({}, "tcp/7880,udp/50000-60000", network_mode="host"),
}


def program(extra_networks: Mapping[str, Sequence[str]] | None = None) -> Callable[[], None]:
    extra = extra_networks or {}

    def body() -> None:
        networks = {
            "web": docker.Network("web", name="web"),
            "shared": docker.Network("shared", name="shared"),
            "internal-x": docker.Network(
                "internal-x",
                name="internal-x",
                internal=True,
                ipam_configs=[
                    docker.NetworkIpamConfigArgs(subnet="172.31.0.0/16", gateway="172.31.0.1")
                ],
                options={"com.docker.network.bridge.name": "br-hub"},
            ),
        }
        for name, spec in SERVICES.items():
            attach = {net: list(aliases) for net, aliases in spec.networks.items()}
            for net in extra.get(name, ()):
                attach.setdefault(net, [])
            advanced = [
                docker.ContainerNetworksAdvancedArgs(
                    # by id for one network, by name for the others: the harness reads both
                    name=networks[net].id if net == "internal-x" else networks[net].name,
                    aliases=aliases or None,
                    ipv4_address=spec.address if i == 0 else None,
                )
                for i, (net, aliases) in enumerate(attach.items())
            ]
            ports = [
                docker.ContainerPortArgs(internal=i, external=e, ip=ip, protocol=proto)
                for i, e, ip, proto in spec.ports
            ]
            docker.Container(
                name,
                name=name if spec.named else None,
                image=IMAGE,
                networks_advanced=advanced or None,
                network_mode=spec.network_mode,
                ports=ports or None,
                uploads=list(spec.uploads) or None,
                labels=[
                    docker.ContainerLabelArgs(label="selfhosted.service", value=name),
                    docker.ContainerLabelArgs(label="selfhosted.listen", value=spec.listen),
                ],
            )

    return body
