"""docker-container-no-public-admin-port: by protocol; a UDP media range is not Grafana."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container
from ..harness import (
    RuleCases,
    except_label,
    excepted,
    fails,
    label_source,
    passes,
    policy_of,
    unknown,
)

POLICY = policy_of(__name__)

CASES = RuleCases(
    cases=[
        passes(container("pass_loopback_grafana", ports=[{"internal": 3000, "ip": "127.0.0.1"}])),
        passes(
            container(
                "pass_udp_3000", ports=[{"internal": 3000, "external": 3000, "protocol": "udp"}]
            )
        ),
        passes(container("pass_web", ports=[{"internal": 443, "external": 443}])),
        # NPM's API published for the program's SSH tunnel (components/proxies/npm.py).
        passes(
            container(
                "pass_loopback_npm", ports=[{"internal": 81, "external": 81, "ip": "127.0.0.1"}]
            )
        ),
        fails(
            container("fail_npm", ports=[{"internal": 81, "external": 81, "ip": "0.0.0.0"}]),
            "Port 81/tcp (NGINX Proxy Manager admin UI) is published as 81 on 0.0.0.0.",
        ),
        fails(
            container("fail_grafana", ports=[{"internal": 3000, "external": 3000}]),
            "Port 3000/tcp (Grafana / DbGate) is published as 3000 on 0.0.0.0.",
        ),
        fails(
            container("fail_portainer_v6", ports=[{"internal": 9443, "ip": "::"}]),
            "Port 9443/tcp (Portainer (HTTPS)) is published as a random host port on ::.",
        ),
        fails(
            container("fail_host_port_proxmox", ports=[{"internal": 443, "external": 8006}]),
            "Host port 8006/tcp (Proxmox VE web UI and API) is published on 0.0.0.0 for "
            "container port 443.",
        ),
        excepted(
            container(
                "except_mqtt",
                ports=[{"internal": 1883, "external": 1883}],
                labels=[except_label(POLICY, "IoT devices on the LAN only; firewall drops WAN")],
            ),
            "IoT devices on the LAN only; firewall drops WAN",
            label_source(POLICY),
            "Port 1883/tcp (MQTT without TLS (Mosquitto)) is published as 1883 on 0.0.0.0.",
        ),
        unknown(container("unknown_ip", ports=[{"internal": 9090, "ip": UNKNOWN}]), ".ports.0.ip"),
    ],
)
