"""docker-container-no-public-admin-port: no admin or management port on a public address.

Admin interfaces (``catalog.ADMIN_PORTS``: broker management UIs, MQTT without TLS, the Docker
API, Portainer, Jenkins, Grafana/DbGate, Prometheus, Alertmanager, Loki, the NGINX Proxy
Manager admin UI, ...) are reached through the authenticating reverse proxy or a VPN only.
A port is public as in docker-container-no-public-database-port (``catalog.is_public_bind``):
its ``ip`` is missing, empty, ``0.0.0.0``, ``::``, a public address or not an address at all;
loopback and private bindings are allowed. Both the container port (``internal``) and the host
port (``external``) are checked, one violation per published port.

Unknown values are deferred: the SDK reports the policy as not run (advisory) during preview
and ``pulumi up`` checks the resolved values. ``ip`` is read only for an admin port, so an
unknown address on any other port defers nothing.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from lib.ports import ADMIN_PORTS, published_publicly
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)

docker_container_no_public_admin_port = resource_rule(
    name="docker-container-no-public-admin-port",
    rule_id="DKR-009",
    cis="5.8",
    resource_types=RESOURCE_TYPES,
    description="Docker containers never publish an admin or management port on a public address.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Reach the admin interface through the authenticating reverse proxy or a VPN: drop the "
        "published port, or bind it to 127.0.0.1 or a private address with `ip`."
    ),
    validate=published_publicly(ADMIN_PORTS),
)
