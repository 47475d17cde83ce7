"""proxy-route-admin-panel-authenticated (a stack policy): NPM proxy hosts and plain Nginx
locations routing to admin panels, with and without authentication.

The NPM resources are shaped as components/npm/resources.py declares them (what NPM receives);
the nginx configs are written here by hand in nginx's own syntax, each a way nginx applies (or
does not apply) auth_basic, allow/deny and satisfy (nginx.org module docs), and their verdicts
are what nginx does with them, not what the rule computes.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from components.plan.recording import UNKNOWN, RecordedResource

from ..conftest import COMPLIANT_CONTAINER, CONTAINER, container, resource, secret
from ..fixtures_cloud import depends
from ..harness import RuleCases, StackCase, stack_fails, stack_passes, stack_unknown

RULE = "proxy-route-admin-panel-authenticated"
DYNAMIC = "pulumi-python:dynamic:Resource"
SITE = "/etc/nginx/conf.d/default.conf"


def panel(name: str, image: str, **changes: Any) -> RecordedResource:
    """A container running ``image``, answering to ``name`` on network ``edge``."""
    properties = {
        **COMPLIANT_CONTAINER,
        "name": name,
        "image": image,
        "networksAdvanced": [{"name": "edge", "aliases": [name]}],
        **changes,
    }
    properties.pop("volumes")
    return resource(CONTAINER, f"{name}-container", {k: v for k, v in properties.items() if v})


DBGATE = panel("dbgate", "dbgate/dbgate:6.1.0")
PORTAINER = panel("portainer", "portainer/portainer-ce:2.21.4")
RABBITMQ = panel("rabbitmq", "rabbitmq:3.13.7-management")
WEB = panel("web", "ghcr.io/example/web:1.0.0")
# Reached on the address it publishes (prod's guests, behind the NAT bridge), no DNS name.
GRAFANA = panel(
    "grafana",
    "grafana/grafana:11.3.1",
    networksAdvanced=None,
    ports=[{"internal": 3000, "external": 3000, "ip": "10.0.0.15", "protocol": "tcp"}],
)
PANELS = [DBGATE, PORTAINER, RABBITMQ, WEB, GRAFANA]
UNKNOWN_ADDRESS = panel(
    "metrics",
    "prom/node-exporter:v1.8.2",
    ports=[{"internal": 9100, "external": 9100, "ip": UNKNOWN, "protocol": "tcp"}],
)


def _dynamic(name: str, properties: dict[str, Any]) -> RecordedResource:
    return resource(DYNAMIC, name, {"adminEmail": "admin@example.com", **properties})


def access_list(
    name: str, items: list[Any], clients: list[dict[str, str]], satisfy_any: bool = False
) -> RecordedResource:
    return _dynamic(
        name,
        {
            "name": name,
            "satisfyAny": satisfy_any,
            "passAuth": False,
            "items": items,
            "clients": clients,
            "npmId": 7,
        },
    )


def proxy_host(
    name: str,
    forward: str,
    port: int,
    access: RecordedResource | int | str = 0,
    locations: list[dict[str, Any]] | None = None,
) -> RecordedResource:
    """A proxy host of ``name``; ``access`` an access list resource (its id unknown during
    preview, the dependency recorded), or a literal list id."""
    host = _dynamic(
        f"proxy-host-{name}",
        {
            "domainNames": [name],
            "forwardScheme": "http",
            "forwardHost": forward,
            "forwardPort": port,
            "accessListId": UNKNOWN if isinstance(access, RecordedResource) else access,
            "sslForced": True,
            "locations": locations or [],
            "npmId": 3,
        },
    )
    return depends(host, accessListId=[access]) if isinstance(access, RecordedResource) else host


USER = [{"username": "ops", "password": secret("s3cr3t")}]
EVERYONE = [{"address": "all", "directive": "allow"}]
ADMIN_NET = [
    {"address": "198.51.100.0/24", "directive": "allow"},
    {"address": "all", "directive": "deny"},
]
USERS_LIST = access_list("users", USER, EVERYONE)
NETWORK_LIST = access_list("network", [], ADMIN_NET)
EMPTY_LIST = access_list("empty", [], [])
OPEN_LIST = access_list("open", [], EVERYONE)
ANY_LIST = access_list("any", USER, [{"address": "0.0.0.0/0", "directive": "allow"}], True)
CLOSED_FIRST = access_list("closed", [], [{"address": "all", "directive": "deny"}, *EVERYONE])


Target = tuple[str, str, str]  # (upstream, container, the panel it runs)
TO_DBGATE: Target = ("dbgate:3000", "dbgate-container", "DbGate")
TO_RABBITMQ: Target = ("rabbitmq:15672", "rabbitmq-container", "RabbitMQ management")
TO_PORTAINER: Target = ("portainer:9000", "portainer-container", "Portainer")
TO_GRAFANA: Target = ("10.0.0.15:3000", "grafana-container", "Grafana")


def npm(host: str, path: str, target: Target, why: str) -> str:
    upstream, name, app = target
    return (
        f"NPM proxy host {host} routes {path} to {upstream}, container {name} running {app}, "
        f"and {why}."
    )


def nginx(
    files: dict[str, str],
    name: str = "nginx-container",
    image: str = "nginx:1.26.3",
    uploads: Sequence[dict[str, str]] = (),
    **changes: Any,
) -> RecordedResource:
    """An nginx container with ``files`` (path -> text) uploaded, and ``uploads`` as given."""
    written = [{"file": path, "content": text} for path, text in files.items()]
    return container(name, image=image, volumes=None, uploads=[*written, *uploads], **changes)


def site(location: str, server: str = "", top: str = "") -> str:
    return (
        f"{top}\nserver {{\n    listen 80;\n    server_name admin.example.com;\n"
        f"    {server}\n    location /panel/ {{\n        {location}\n    }}\n}}\n"
    )


PASS_TO = "set $upstream_0 http://portainer:9000;\n        proxy_pass $upstream_0;"
USERS_FILE = "/etc/nginx/users/panel"
BASIC = f'auth_basic "admin";\n        auth_basic_user_file {USERS_FILE};'
OPEN = "it has no auth_basic, auth_request or allow + deny all"


def on_nginx(location: str, target: Target, why: str = OPEN, file: str = SITE) -> str:
    upstream, name, app = target
    return (
        f"Nginx container nginx-container routes admin.example.com location {location} "
        f"({file}) to {upstream}, container {name} running {app}, and {why}."
    )


def passes(name: str, *resources: RecordedResource) -> StackCase:
    return stack_passes(name, [*PANELS, *resources], others=None)


def npm_fails(
    name: str, route: tuple[str, str], target: Target, why: str, *resources: RecordedResource
) -> StackCase:
    """The proxy host of ``route`` (host, path) reported once, for ``target`` and ``why``."""
    host, path = route
    report = (f"proxy-host-{host}", npm(host, path, target, why))
    return stack_fails(name, [*PANELS, *resources], report, others=None)


def at_panel(location: str, server: str = "", top: str = "") -> RecordedResource:
    """An nginx container whose one site has ``location`` at /panel/ (see ``site``)."""
    return nginx({SITE: site(location, server, top)})


def nginx_fails(
    name: str,
    proxy: RecordedResource,
    target: Target = TO_PORTAINER,
    why: str = OPEN,
    file: str = SITE,
) -> StackCase:
    report = ("nginx-container", on_nginx("/panel/", target, why, file))
    return stack_fails(name, [*PANELS, proxy], report, others=None)


PUBLIC = "http://public.example.com"  # an upstream that is no container of the stack
MAPS = "/etc/nginx/conf.d/maps.conf"


def unresolved_on_nginx(url: str) -> tuple[str, str]:
    """The report on an open /panel/ location whose pass address ``url`` holds a variable."""
    return (
        "nginx-container",
        f"Nginx container nginx-container routes admin.example.com location /panel/ ({SITE}) "
        f"to {url}, whose address holds a variable no set or map of its config gives, and "
        f"{OPEN}, so its route cannot be checked.",
    )


def cannot_be_read(file: str, why: str) -> tuple[str, str]:
    return (
        "nginx-container",
        f"Nginx container nginx-container: {file} cannot be read ({why}), so its routes "
        "cannot be checked.",
    )


DB = ("db.example.com", "/")
# A whole nginx.conf, as the official image's (events {}, the servers inside http {}).
MAIN = "/etc/nginx/nginx.conf"


def main_conf(location: str, http: str = "") -> str:
    server = site(location).replace("\n", "\n    ")
    return f"events {{}}\nhttp {{\n    {http}\n    {server}\n}}\n"


SNIPPET = "/etc/nginx/snippets/auth.conf"
DEBIAN_SITE = "/etc/nginx/sites-enabled/default"
HTPASSWD = "ops:$2b$10$abcdefghijklmnopqrstuu5PtN1Aq3Vq8T5P3XzPyV.0lQ3Kp8m2\n"
NOT_UPLOADED = (
    "it has no auth_basic, auth_request or allow + deny all of its own and includes "
    "/etc/nginx/snippets/auth.conf, which no upload is, so it cannot be checked"
)
UNPARSEABLE = "server {\n    location / {\n        proxy_pass http://dbgate:3000;\n}\n"
PORTAINER_LOCATION = {
    "path": "/portainer",
    "forwardScheme": "http",
    "forwardHost": "portainer",
    "forwardPort": 9000,
}
CHAINED = 'set $panel "portainer";\nset $location_upstream $panel;'
IN_IF = 'if ($http_x_panel) {\n    set $location_upstream "portainer";\n}'
RE_POINTED = 'set $server "portainer";\nset $port 9000;'
UNSET = "its forward $location_upstream:9000 holds a variable no set of its config gives an address"


def unchecked(path: str, why: str) -> str:
    return (
        f"NPM proxy host app.example.com routes {path}, but {why}, so its route cannot be checked."
    )


def panel_by_variable(**location: Any) -> RecordedResource:
    """app.example.com with Portainer at /portainer through the variable, ``location`` over
    the program's shape of it."""
    return proxy_host(
        "app.example.com", "web", 3000, locations=[{**PORTAINER_BY_VARIABLE, **location}]
    )


def _with(host: RecordedResource, **inputs: Any) -> RecordedResource:
    """``host`` with more inputs (recorded as the engine receives them)."""
    return resource(DYNAMIC, host.name, {**host.inputs, **inputs})


# As the program sends a location (components/npm/routes.py): the forward host a variable its
# advanced config sets, resolved per request (NPM's _location.conf:2,10 render both).
PORTAINER_BY_VARIABLE = {
    **PORTAINER_LOCATION,
    "forwardHost": "$location_upstream",
    "advancedConfig": 'set $location_upstream "portainer";',
}

STACKS = [
    # NPM: the stack's own access list, its id still unknown (preview), named by dependency.
    passes("pass_npm_users", USERS_LIST, proxy_host("db.example.com", "dbgate", 3000, USERS_LIST)),
    passes(
        "pass_npm_network",
        NETWORK_LIST,
        proxy_host("p.example.com", "portainer", 9000, NETWORK_LIST),
    ),
    # `pulumi up`: the list's id is known and matched to its npmId output.
    passes(
        "pass_npm_known_list_id", NETWORK_LIST, proxy_host("p.example.com", "portainer", 9000, 7)
    ),
    passes(
        "pass_npm_deny_all_first",
        CLOSED_FIRST,
        proxy_host("p.example.com", "portainer", 9000, CLOSED_FIRST),
    ),
    passes("pass_npm_not_a_panel", proxy_host("app.example.com", "web", 3000)),
    passes("pass_npm_outside_the_stack", proxy_host("x.example.com", "203.0.113.9", 8080)),
    passes(
        "pass_npm_published_address",
        NETWORK_LIST,
        proxy_host("g.example.com", "10.0.0.15", 3000, NETWORK_LIST),
    ),
    npm_fails(
        "fail_npm_no_access_list",
        DB,
        TO_DBGATE,
        "it has no access list",
        proxy_host("db.example.com", "dbgate", 3000),
    ),
    npm_fails(
        "fail_npm_list_authenticates_nobody",
        DB,
        TO_DBGATE,
        "its access list empty authenticates nobody (no users and no clients)",
        EMPTY_LIST,
        proxy_host("db.example.com", "dbgate", 3000, EMPTY_LIST),
    ),
    npm_fails(
        "fail_npm_list_allows_everyone",
        ("mq.example.com", "/"),
        TO_RABBITMQ,
        "its access list open has no users and its client allow all admits every address",
        OPEN_LIST,
        proxy_host("mq.example.com", "rabbitmq", 15672, OPEN_LIST),
    ),
    npm_fails(
        "fail_npm_satisfy_any",
        DB,
        TO_DBGATE,
        "its access list any satisfies any check and its client allow 0.0.0.0/0 admits every "
        "address",
        ANY_LIST,
        proxy_host("db.example.com", "dbgate", 3000, ANY_LIST),
    ),
    npm_fails(
        "fail_npm_location_to_a_panel",
        ("app.example.com", "/portainer"),
        TO_PORTAINER,
        "it has no access list",
        proxy_host("app.example.com", "web", 3000, locations=[PORTAINER_LOCATION]),
    ),
    npm_fails(
        "fail_npm_location_through_a_variable",
        ("app.example.com", "/portainer"),
        TO_PORTAINER,
        "it has no access list",
        panel_by_variable(),
    ),
    # nginx's variable names are case-insensitive; a set may hold another variable, or run in
    # an if; the host's own / goes to $server:$port, which its advanced config may set.
    npm_fails(
        "fail_npm_variable_in_another_case",
        ("app.example.com", "/portainer"),
        TO_PORTAINER,
        "it has no access list",
        panel_by_variable(forwardHost="$Location_Upstream"),
    ),
    npm_fails(
        "fail_npm_variable_set_from_another",
        ("app.example.com", "/portainer"),
        TO_PORTAINER,
        "it has no access list",
        panel_by_variable(advancedConfig=CHAINED),
    ),
    npm_fails(
        "fail_npm_variable_set_in_an_if",
        ("app.example.com", "/portainer"),
        TO_PORTAINER,
        "it has no access list",
        panel_by_variable(advancedConfig=IN_IF),
    ),
    # Its host and port are set apart: either may be either (the rule takes every pair).
    npm_fails(
        "fail_npm_root_re_pointed_by_the_advanced_config",
        ("app.example.com", "/"),
        ("portainer:3000 or portainer:9000", "portainer-container", "Portainer"),
        "it has no access list",
        _with(proxy_host("app.example.com", "web", 3000), advancedConfig=RE_POINTED),
    ),
    stack_fails(
        "fail_npm_variable_nothing_sets",
        [
            *PANELS,
            panel_by_variable(advancedConfig=""),
        ],
        ("proxy-host-app.example.com", unchecked("/portainer", UNSET)),
        others=None,
    ),
    stack_fails(
        "fail_npm_advanced_config_that_does_not_parse",
        [
            *PANELS,
            panel_by_variable(advancedConfig="set $location_upstream"),
        ],
        (
            "proxy-host-app.example.com",
            unchecked(
                "/portainer",
                "its advanced config cannot be parsed (it ends inside a directive or block)",
            ),
        ),
        others=None,
    ),
    npm_fails(
        "fail_npm_published_address",
        ("g.example.com", "/"),
        TO_GRAFANA,
        "it has no access list",
        proxy_host("g.example.com", "10.0.0.15", 3000),
    ),
    npm_fails(
        "fail_npm_list_not_in_the_stack",
        DB,
        TO_DBGATE,
        "its access list 42 is none the stack declares (cannot be checked)",
        proxy_host("db.example.com", "dbgate", 3000, 42),
    ),
    stack_unknown(
        "unknown_npm_list_id_without_dependency",
        [*PANELS, proxy_host("db.example.com", "dbgate", 3000, UNKNOWN)],
        ".accessListId",
        others=None,
    ),
    # The other host is still checked before the rule defers.
    stack_unknown(
        "unknown_npm_forward_host",
        [
            *PANELS,
            replace(proxy_host("a.example.com", UNKNOWN, 3000), name="proxy-host-a"),
            proxy_host("db.example.com", "dbgate", 3000),
        ],
        ".forwardHost",
        ("proxy-host-db.example.com", npm(*DB, TO_DBGATE, "it has no access list")),
        others=None,
    ),
    # A published address still unknown (an address output) can only be an upstream address:
    # a route to a name defers nothing for it, a route to an address does.
    passes(
        "pass_npm_name_with_an_unknown_address",
        UNKNOWN_ADDRESS,
        proxy_host("x.example.com", "api", 8000),
    ),
    stack_unknown(
        "unknown_npm_address_with_an_unknown_address",
        [*PANELS, UNKNOWN_ADDRESS, proxy_host("x.example.com", "10.0.0.20", 8000)],
        ".ports.0.ip",
        others=None,
    ),
    # Plain Nginx: the config files uploaded into the container.
    passes("pass_nginx_basic_auth", at_panel(f"{BASIC}\n        {PASS_TO}")),
    passes("pass_nginx_basic_auth_of_the_server", at_panel(PASS_TO, server=BASIC)),
    passes("pass_nginx_basic_auth_of_http", at_panel(PASS_TO, top=BASIC)),
    passes(
        "pass_nginx_allow_deny",
        at_panel(f"allow 198.51.100.0/24;\n        deny all;\n        {PASS_TO}"),
    ),
    passes("pass_nginx_auth_request", at_panel(f"auth_request /auth;\n        {PASS_TO}")),
    passes("pass_nginx_not_a_panel", at_panel("proxy_pass http://web:3000;")),
    passes("pass_nginx_not_a_conf_file", nginx({"/docker-entrypoint.d/40-x.sh": "#!/bin/sh\n"})),
    nginx_fails("fail_nginx_no_auth", at_panel(PASS_TO)),
    nginx_fails(
        "fail_nginx_auth_basic_off_in_the_location",
        at_panel(f"auth_basic off;\n        {PASS_TO}", server=BASIC),
    ),
    nginx_fails(
        "fail_nginx_auth_basic_without_users_file",
        at_panel(f'auth_basic "admin";\n        {PASS_TO}'),
    ),
    # The location's own rules replace the server's: allow all is all there is.
    nginx_fails(
        "fail_nginx_own_rules_replace_the_servers",
        at_panel(f"allow all;\n        {PASS_TO}", server="allow 198.51.100.0/24;\n    deny all;"),
    ),
    nginx_fails(
        "fail_nginx_allow_all_before_deny_all",
        at_panel(f"allow all;\n        deny all;\n        {PASS_TO}"),
    ),
    nginx_fails(
        "fail_nginx_satisfy_any_with_allow_all",
        at_panel(f"satisfy any;\n        allow all;\n        {BASIC}\n        {PASS_TO}"),
        why="its satisfy any with an allow of every address lets anyone in",
    ),
    nginx_fails(
        "fail_nginx_upstream_block",
        at_panel(
            "proxy_pass http://panels;",
            top="upstream panels {\n    server web:3000;\n    server dbgate:3000;\n}",
        ),
        TO_DBGATE,
    ),
    stack_fails(
        "fail_nginx_unparseable",
        [*PANELS, nginx({SITE: UNPARSEABLE})],
        cannot_be_read(SITE, 'line 4: unexpected end of file, expecting "}"'),
        others=None,
    ),
    # A whole nginx.conf: its servers are inside http {}.
    nginx_fails("fail_nginx_main_conf", nginx({MAIN: main_conf(PASS_TO)}), file=MAIN),
    passes("pass_nginx_main_conf_basic_auth_of_http", nginx({MAIN: main_conf(PASS_TO, BASIC)})),
    # The site is read where the uploaded nginx.conf includes it (inside http {}, whose basic
    # auth it inherits), not on its own as well.
    passes(
        "pass_nginx_site_included_by_the_main_conf",
        nginx(
            {
                MAIN: f"events {{}}\nhttp {{\n    {BASIC}\n    include conf.d/*.conf;\n}}\n",
                SITE: site(PASS_TO),
            }
        ),
    ),
    # A pass directive in an if or limit_except block is the location's.
    nginx_fails(
        "fail_nginx_pass_in_an_if",
        at_panel(
            "set $upstream_0 http://portainer:9000;\n        if ($request_method) {\n"
            "            proxy_pass $upstream_0;\n        }"
        ),
    ),
    passes(
        "pass_nginx_pass_in_an_if_basic_auth_of_the_location",
        at_panel(
            f"{BASIC}\n        set $upstream_0 http://portainer:9000;\n"
            "        if ($request_method) {\n            proxy_pass $upstream_0;\n        }"
        ),
    ),
    # Where a location passes to is every value its variable may hold there: a `set` in an
    # `if` runs for the requests that match it, and a map gives each of its values.
    nginx_fails(
        "fail_nginx_panel_set_in_an_if",
        at_panel(
            f"set $upstream_0 {PUBLIC};\n        if ($arg_panel) {{\n"
            "            set $upstream_0 http://portainer:9000;\n        }\n"
            "        proxy_pass $upstream_0;"
        ),
    ),
    nginx_fails(
        "fail_nginx_panel_in_a_map",
        at_panel(
            "proxy_pass $upstream_0;",
            top=(
                "map $arg_panel $upstream_0 {\n    hostnames;\n"
                f"    default {PUBLIC};\n    admin http://portainer:9000;\n}}"
            ),
        ),
    ),
    passes(
        "pass_nginx_map_of_public_upstreams",
        at_panel(
            "proxy_pass $backend;",
            top=f"map $arg_panel $backend {{\n    default {PUBLIC};\n}}",
        ),
    ),
    # An address a request names (a header) goes anywhere, a panel too: open, it cannot be
    # checked; authenticated, it is.
    stack_fails(
        "fail_nginx_upstream_from_a_request_header",
        [*PANELS, at_panel("proxy_pass http://$http_x_backend:9000;")],
        unresolved_on_nginx("http://$http_x_backend:9000"),
        others=None,
    ),
    stack_fails(
        "fail_nginx_upstream_variable_no_set_gives",
        [*PANELS, at_panel("proxy_pass $backend;")],
        unresolved_on_nginx("$backend"),
        others=None,
    ),
    passes(
        "pass_nginx_upstream_from_a_request_header_behind_basic_auth",
        at_panel(f"{BASIC}\n        proxy_pass http://$http_x_backend:9000;"),
    ),
    # The path's variables decide no address: the panel is reached (tests/policies/
    # test_nginx_variable_routes.py), a public host is not one.
    nginx_fails(
        "fail_nginx_panel_with_the_request_path",
        at_panel("proxy_pass http://portainer:9000$request_uri;"),
    ),
    nginx_fails(
        "fail_nginx_panel_with_the_uri_and_arguments",
        at_panel("proxy_pass http://portainer:9000$uri$is_args$args;"),
    ),
    passes(
        "pass_nginx_public_upstream_with_the_request_path",
        at_panel(f"proxy_pass {PUBLIC}$request_uri;"),
    ),
    passes(
        "pass_nginx_public_upstream_with_its_arguments",
        at_panel(f"proxy_pass {PUBLIC}$is_args$args;"),
    ),
    # A variable scheme is http or https: the address is still the panel's.
    nginx_fails(
        "fail_nginx_panel_with_a_variable_scheme",
        at_panel("proxy_pass $scheme://portainer:9000;"),
    ),
    passes(
        "pass_nginx_public_upstream_with_a_variable_scheme",
        at_panel("set $backend public.example.com;\n        proxy_pass $scheme://$backend;"),
    ),
    # Every set counts, not only the last: a break stops the rewrites before a later one.
    nginx_fails(
        "fail_nginx_panel_set_before_a_break",
        at_panel(
            "set $backend http://portainer:9000;\n        rewrite ^ /panel/ break;\n"
            f"        set $backend {PUBLIC};\n        proxy_pass $backend;"
        ),
    ),
    # A nested location inherits no set of the location around it, the server's holds.
    stack_fails(
        "fail_nginx_panel_set_by_the_server_for_a_nested_location",
        [
            *PANELS,
            at_panel(
                f"set $backend {PUBLIC};\n        location /panel/x/ {{\n"
                "            proxy_pass $backend;\n        }",
                server="set $backend http://portainer:9000;",
            ),
        ],
        ("nginx-container", on_nginx("/panel/ > /panel/x/", TO_PORTAINER)),
        others=None,
    ),
    # A map in another file, and one whose entries are partly in a file not uploaded.
    nginx_fails(
        "fail_nginx_panel_in_a_map_of_another_file",
        nginx(
            {
                SITE: site("proxy_pass $backend;"),
                MAPS: "map $arg_panel $backend {\n    admin http://portainer:9000;\n}\n",
            }
        ),
    ),
    stack_fails(
        "fail_nginx_map_with_entries_not_uploaded",
        [
            *PANELS,
            at_panel(
                "proxy_pass $backend;",
                top=(
                    f"map $arg_panel $backend {{\n    default {PUBLIC};\n"
                    "    include /etc/nginx/backends.map;\n}"
                ),
            ),
        ],
        unresolved_on_nginx("$backend"),
        others=None,
    ),
    # A variable a request gives (a header) keeps the request's value when the if's set did
    # not run.
    stack_fails(
        "fail_nginx_request_header_set_only_in_an_if",
        [
            *PANELS,
            at_panel(
                f"if ($arg_public) {{\n            set $http_x_target {PUBLIC};\n        }}\n"
                "        proxy_pass $http_x_target;"
            ),
        ],
        unresolved_on_nginx("$http_x_target"),
        others=None,
    ),
    # geo and split_clients give a variable one of their values, as a map does.
    nginx_fails(
        "fail_nginx_panel_in_a_geo",
        at_panel(
            "proxy_pass $backend;",
            top=(
                f"geo $backend {{\n    default {PUBLIC};\n    proxy 10.0.0.1;\n"
                "    10.0.0.0/8 http://portainer:9000;\n}"
            ),
        ),
    ),
    nginx_fails(
        "fail_nginx_panel_in_split_clients",
        at_panel(
            "proxy_pass $backend;",
            top=(
                'split_clients "${remote_addr}" $backend {\n'
                f"    50% {PUBLIC};\n    * http://portainer:9000;\n}}"
            ),
        ),
    ),
    passes(
        "pass_nginx_geo_of_public_upstreams",
        at_panel(
            "proxy_pass $backend;",
            top=f"geo $backend {{\n    default {PUBLIC};\n    delete 10.0.0.0/8;\n}}",
        ),
    ),
    # nginx compares upstream names case-insensitively.
    nginx_fails(
        "fail_nginx_panel_in_an_upstream_named_in_another_case",
        at_panel(
            "proxy_pass http://pool;",
            top="upstream Pool {\n    server portainer:9000;\n}",
        ),
    ),
    # There the location's own `set` is not in effect (nginx answers 500 "invalid URL prefix"
    # with it): the server's is.
    nginx_fails(
        "fail_nginx_pass_in_limit_except",
        at_panel(
            "limit_except POST {\n            proxy_pass $upstream_0;\n        }",
            server="set $upstream_0 http://portainer:9000;",
        ),
    ),
    # limit_except GET's checks are for the other methods: GET stays open.
    nginx_fails(
        "fail_nginx_basic_auth_only_for_other_methods",
        at_panel(f"limit_except GET {{\n            {BASIC}\n        }}\n        {PASS_TO}"),
    ),
    # Debian's site file has no extension.
    nginx_fails(
        "fail_nginx_debian_site_without_extension",
        nginx({DEBIAN_SITE: site(PASS_TO)}),
        file=DEBIAN_SITE,
    ),
    # The users file is data (named by auth_basic_user_file), not config.
    passes(
        "pass_nginx_users_file_uploaded",
        nginx({SITE: site(f"{BASIC}\n        {PASS_TO}"), USERS_FILE: HTPASSWD}),
    ),
    # An include is read from the uploads (relative to /etc/nginx, as nginx resolves it).
    passes(
        "pass_nginx_basic_auth_in_an_included_snippet",
        nginx({SITE: site(f"include snippets/auth.conf;\n        {PASS_TO}"), SNIPPET: BASIC}),
    ),
    nginx_fails(
        "fail_nginx_auth_basic_off_in_an_included_snippet",
        nginx(
            {
                SITE: site(f"include {SNIPPET};\n        {PASS_TO}", BASIC),
                SNIPPET: "auth_basic off;",
            }
        ),
    ),
    nginx_fails(
        "fail_nginx_include_not_uploaded",
        at_panel(f"include snippets/auth.conf;\n        {PASS_TO}"),
        why=NOT_UPLOADED,
    ),
    nginx_fails(
        "fail_nginx_content_base64",
        nginx(
            {},
            uploads=[
                {"file": SITE, "contentBase64": base64.b64encode(site(PASS_TO).encode()).decode()}
            ],
        ),
    ),
    stack_fails(
        "fail_nginx_upload_from_a_source_file",
        [*PANELS, nginx({}, uploads=[{"file": SITE, "source": "/srv/site.conf"}])],
        cannot_be_read(
            SITE,
            "its content is the file /srv/site.conf of the machine running pulumi, which the "
            "plan does not hold",
        ),
        others=None,
    ),
    # OpenResty's image includes /etc/nginx/conf.d/*.conf; Bitnami's reads /opt/bitnami/nginx/conf.
    nginx_fails(
        "fail_nginx_openresty",
        nginx({SITE: site(PASS_TO)}, image="openresty/openresty:1.27.1.2-bookworm"),
    ),
    nginx_fails(
        "fail_nginx_bitnami_server_block",
        nginx(
            {"/opt/bitnami/nginx/conf/server_blocks/panel.conf": site(PASS_TO)},
            image="bitnami/nginx:1.27.4",
        ),
        file="/opt/bitnami/nginx/conf/server_blocks/panel.conf",
    ),
    passes(
        "pass_nginx_conf_outside_the_config_directories",
        nginx({"/srv/www/site.conf": site(PASS_TO)}),
    ),
    stack_unknown(
        "unknown_nginx_upload_content",
        [*PANELS, nginx({SITE: UNKNOWN})],
        ".uploads.0.content",
        others=None,
    ),
]

CASES = RuleCases(stacks=STACKS)
