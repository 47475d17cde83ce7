"""docker-container-no-public-database-port: no database port published on a public address.

A port counts as public when its ``ip`` is missing, ``0.0.0.0``, ``::`` or a public address:
Docker then binds every interface and, through its own iptables rules, bypasses host
firewalls. Bindings to loopback or private addresses are allowed. Both the container port
(``internal``) and the host port (``external``) are checked. Unknown values are deferred: the
SDK reports the policy as not run (advisory) during preview; ``pulumi up`` checks the resolved
values before the container is created.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from lib.ports import DATABASE_PORTS, published_publicly
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)

docker_container_no_public_database_port = resource_rule(
    name="docker-container-no-public-database-port",
    rule_id="DKR-008",
    cis="5.8",
    resource_types=RESOURCE_TYPES,
    description="Docker containers never publish a database port on a public address.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Drop the published port and reach the database over a Docker network, or bind it "
        "to 127.0.0.1 or a private address with `ip`."
    ),
    validate=published_publicly(DATABASE_PORTS),
)
