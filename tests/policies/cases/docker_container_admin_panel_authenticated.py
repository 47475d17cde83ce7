"""docker-container-admin-panel-authenticated: seed 002's panels (Portainer, DbGate, Jenkins,
RabbitMQ management) only through the proxy, and only with authentication."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import container
from ..harness import RuleCases, except_label, excepted, fails, label_source, passes, policy_of
from ..harness import unknown as unknown_case

POLICY = policy_of(__name__)
DBGATE = "dbgate/dbgate:6.1.0"
PORTAINER = "portainer/portainer-ce:2.21.4"
JENKINS = "jenkins/jenkins:2.479.1-lts"
RABBITMQ_UI = "rabbitmq:3.13.7-management"


def router(name: str, middlewares: str | None = None) -> dict[str, str]:
    found = {f"traefik.http.routers.{name}.rule": f"Host(`{name}.example.com`)"}
    if middlewares is not None:
        found[f"traefik.http.routers.{name}.middlewares"] = middlewares
    return found


def panel(name: str, image: str, label_map: dict[str, str] | None = None, **changes: Any) -> Any:
    entries = [{"label": k, "value": v} for k, v in (label_map or {}).items()]
    fields: dict[str, Any] = {"ports": None, "labels": entries or None, **changes}
    return container(name, image=image, **fields)


BASIC_AUTH = {"traefik.http.middlewares.dbgate-auth.basicauth.users": "ops:$2y$05$hash"}
ALLOW_LIST = {"traefik.http.middlewares.admin-ip.ipAllowList.sourceRange": "198.51.100.0/24"}
HEADERS = {"traefik.http.middlewares.secure.headers.stsSeconds": "31536000"}
ENABLED = {"traefik.enable": "true"}

CASES = RuleCases(
    cases=[
        passes(container("pass_database_is_not_a_panel")),
        passes(panel("pass_unpublished_unrouted", DBGATE)),
        passes(panel("pass_loopback", DBGATE, ports=[{"internal": 3000, "ip": "127.0.0.1"}])),
        passes(
            panel(
                "pass_basic_auth",
                DBGATE,
                {**ENABLED, **router("dbgate", "dbgate-auth"), **BASIC_AUTH},
            )
        ),
        passes(
            panel(
                "pass_allow_list_camel_case_with_provider",
                PORTAINER,
                {
                    **ENABLED,
                    **router("portainer", "secure,admin-ip@docker"),
                    **ALLOW_LIST,
                    **HEADERS,
                },
            )
        ),
        passes(panel("pass_disabled", JENKINS, {"traefik.enable": "false", **router("jenkins")})),
        passes(panel("pass_plain_rabbitmq", "rabbitmq:3.13.7", {**ENABLED, **router("mq")})),
        fails(
            panel("fail_published", PORTAINER, ports=[{"internal": 9443, "external": 9443}]),
            "Container fail_published runs Portainer and publishes port 9443/tcp on 0.0.0.0; "
            "an admin panel is reached only through the proxy.",
        ),
        fails(
            panel(
                "fail_published_public_address_any_port",
                DBGATE,
                ports=[{"internal": 8088, "external": 8088, "ip": "203.0.113.5"}],
            ),
            "Container fail_published_public_address_any_port runs DbGate and publishes port "
            "8088/tcp on 203.0.113.5; an admin panel is reached only through the proxy.",
        ),
        fails(
            panel("fail_no_middleware", JENKINS, {**ENABLED, **router("jenkins")}),
            "Container fail_no_middleware runs Jenkins and Traefik router jenkins serves it with "
            "no authentication (basicAuth, digestAuth, forwardAuth or ipAllowList).",
        ),
        fails(
            panel("fail_headers_only", JENKINS, {**router("jenkins", "secure"), **HEADERS}),
            "Container fail_headers_only runs Jenkins and Traefik router jenkins serves it with "
            "no authentication (basicAuth, digestAuth, forwardAuth or ipAllowList).",
        ),
        fails(
            panel("fail_middleware_elsewhere", DBGATE, {**router("dbgate", "auth@file")}),
            "Container fail_middleware_elsewhere runs DbGate and Traefik router dbgate has no "
            "authenticating middleware in the container's labels (middleware auth@file is "
            "defined elsewhere and cannot be checked).",
        ),
        fails(
            panel("fail_default_router", RABBITMQ_UI, ENABLED),
            "Container fail_default_router runs RabbitMQ management and Traefik serves it with "
            "its default router (no router labels), which authenticates no one.",
        ),
        fails(
            panel(
                "fail_one_of_two_routers",
                DBGATE,
                {**router("dbgate", "dbgate-auth"), **router("dbgate-open"), **BASIC_AUTH},
            ),
            "Container fail_one_of_two_routers runs DbGate and Traefik router dbgate-open serves "
            "it with no authentication (basicAuth, digestAuth, forwardAuth or ipAllowList).",
        ),
        excepted(
            panel(
                "except_lab_panel",
                DBGATE,
                ports=[{"internal": 3000, "external": 3000}],
                labels=[except_label(POLICY, "lab machine behind the office VPN only")],
            ),
            "lab machine behind the office VPN only",
            label_source(POLICY),
            "Container except_lab_panel runs DbGate and publishes port 3000/tcp on 0.0.0.0; an "
            "admin panel is reached only through the proxy.",
        ),
        unknown_case(panel("unknown_labels", JENKINS, labels=UNKNOWN), ".labels"),
    ],
)
