"""proxy-route-admin-panel-authenticated: every proxy route to an admin panel authenticates.

Checked across the stack, for the proxies whose routes are not container labels (Traefik's are:
``docker-container-admin-panel-authenticated`` reads those), from what is really deployed:

- **Nginx Proxy Manager**: the proxy-host resources' inputs, which are what NPM receives, and
  the access-list resources they point at (``lib.npm_objects``). Each route of a host (its
  forward, and each of its ``locations``) that reaches an admin panel needs an access list
  that authenticates: a host without one (``accessListId`` 0), with a list that authenticates
  nobody (no users and no clients), or with one whose clients admit every address without a
  password, is a violation on the proxy host. A list id that no access list of the stack has
  cannot be checked and is a violation too. Where a route goes is what NPM's config makes of
  it (``lib.npm_objects.forwards``): the ``/`` to ``$server:$port``, each location to its
  forward, with every value the ``set`` directives of the host's and the location's
  ``advancedConfig`` may give a variable; a forward that still holds a variable, or an
  advanced config the parser refuses, cannot be checked and is a violation.
- **Plain Nginx**: the config files uploaded into a container that runs an nginx image
  (``lib.images.NGINX_IMAGES``; pulumi-docker ``uploads[]``: every ``file`` under the image's
  config directories, whatever its extension, ``content`` or ``contentBase64``), read together
  with nginxinc's parser (``lib.nginx_config``: servers inside ``http {}`` too, includes
  resolved against the other uploads): each ``location`` that passes requests to an admin
  panel (itself or in an ``if``/``limit_except`` block) needs ``auth_basic`` with a users
  file, ``auth_request``, or ``allow`` rules that end in ``deny all``, in effect there. A
  violation is on the nginx container; a config file the parser refuses (or whose content the
  plan does not hold: an upload from a ``source`` file) is one too, and so is an open-looking
  location that includes a file no upload is (its routes cannot be checked). Where a location
  passes to is every value its variables may hold there (``lib.nginx_config``: each ``set`` of
  the server and the location, in an ``if`` too, and each value of a ``map``, ``geo`` or
  ``split_clients``); an open location whose pass address still holds a variable (a request
  header, a variable nothing gives) goes where each request says, so it cannot be checked and
  is a violation.

A route reaches a panel when its upstream (``host:port``) is a container of the stack
(``lib.upstreams``: its name or network alias, or an address and port it publishes) whose image
is an admin panel (``lib.images.admin_panel``: Portainer, DbGate, Jenkins, Grafana, RabbitMQ
management, ...). An upstream that is no container of the stack is not checked.

Unknown values: a proxy host's ``accessListId`` that depends on an access list of the stack is
that list (during preview the list's NPM id is not known yet, but the dependency is), so the
stack's own lists are checked at preview. An unknown container name or alias could be any
upstream's, so it defers a lookup that found nothing; an unknown published address only defers
an upstream that is an address. Other unknown values (an image, upload content, a forward, a
list id with no recorded dependency, a list's users or clients) are deferred. A deferral comes
after every other route is checked: the SDK then reports the policy as not run (advisory)
during preview; ``pulumi up`` checks the resolved values.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

from lib import nginx_config, npm_objects
from lib.images import admin_panel, nginx_config_directories
from lib.readers import has_keys, number
from lib.rule import stack_rule
from lib.types import DOCKER_CONTAINER, DYNAMIC_RESOURCE
from lib.upstreams import ContainerIndex, Upstream, index_containers

RESOURCE_TYPES = (DOCKER_CONTAINER, DYNAMIC_RESOURCE)

Panel = tuple[PolicyResource, str]  # (container, the admin panel it runs)


def _panels(index: ContainerIndex, upstream: Upstream) -> list[Panel]:
    found = []
    for container in index.reached(upstream):
        app = admin_panel(str(container.props.get("image") or ""))
        if app is not None:
            found.append((container, app))
    return found


def _access_lists(host: PolicyResource, lists: list[PolicyResource]) -> list[PolicyResource] | str:
    """The access lists ``host`` uses, or why it has none that can be checked."""
    urns = {r.urn for r in host.property_dependencies.get("accessListId", [])}
    depended = [r for r in lists if r.urn in urns]
    if depended:
        return depended
    list_id = number(host.props.get("accessListId"))
    if not list_id:
        return "it has no access list"
    named = [r for r in lists if number(r.props.get("npmId")) == list_id]
    return named or f"its access list {list_id} is none the stack declares (cannot be checked)"


def _npm_open_because(host: PolicyResource, lists: list[PolicyResource]) -> str | None:
    used = _access_lists(host, lists)
    if isinstance(used, str):
        return used
    for access_list in used:
        why = npm_objects.open_because(access_list)
        if why is not None:
            return f"its access list {access_list.name} {why}"
    return None


def _check_npm(
    host: PolicyResource,
    lists: list[PolicyResource],
    index: ContainerIndex,
    report: Callable[[str, str], None],
) -> None:
    domains = ", ".join(str(d) for d in host.props.get("domainNames") or [])
    verdict: list[str | None] = []
    for forward in npm_objects.forwards(host.props):
        if forward.unresolved is not None:
            report(
                f"NPM proxy host {domains} routes {forward.path}, but {forward.unresolved}, "
                "so its route cannot be checked.",
                host.urn,
            )
        reached: dict[str, tuple[PolicyResource, str, list[str]]] = {}
        for upstream in sorted((Upstream(h, p) for h, p in forward.targets), key=str):
            for container, app in _panels(index, upstream):
                reached.setdefault(container.urn, (container, app, []))[2].append(str(upstream))
        for container, app, upstreams in reached.values():
            if not verdict:
                verdict.append(_npm_open_because(host, lists))
            if verdict[0] is not None:
                report(
                    f"NPM proxy host {domains} routes {forward.path} to "
                    f"{' or '.join(upstreams)}, container {container.name} running {app}, and "
                    f"{verdict[0]}.",
                    host.urn,
                )


def _upload_reader(upload: Any) -> Callable[[], str]:
    """An upload's text, read when called (an unknown content raises then)."""

    def read() -> str:
        if upload.get("source"):
            raise nginx_config.NginxConfigError(
                f"its content is the file {upload.get('source')} of the machine running "
                "pulumi, which the plan does not hold"
            )
        encoded = upload.get("contentBase64")
        if encoded:
            try:
                return base64.b64decode(str(encoded)).decode()
            except (ValueError, UnicodeDecodeError) as error:
                raise nginx_config.NginxConfigError(f"contentBase64 is no text: {error}") from None
        return str(upload.get("content") or "")

    return read


def _check_nginx(
    proxy: PolicyResource, index: ContainerIndex, report: Callable[[str, str], None]
) -> None:
    directories = nginx_config_directories(str(proxy.props.get("image") or ""))
    files = {
        str(upload.get("file") or ""): _upload_reader(upload)
        for upload in proxy.props.get("uploads") or []
    }
    config = nginx_config.read(files, directories or nginx_config.DEFAULT_DIRECTORIES)
    for file, error in config.errors.items():
        report(
            f"Nginx container {proxy.name}: {file} cannot be read ({error}), so its "
            "routes cannot be checked.",
            proxy.urn,
        )
    for route in config.routes:
        if route.open_because is None:
            continue
        where = f"{', '.join(route.server_names)} location {route.location} ({route.file})"
        if route.upstream is None:
            report(
                f"Nginx container {proxy.name} routes {where} to {route.unresolved}, whose "
                f"address holds a variable no set or map of its config gives, and "
                f"{route.open_because}, so its route cannot be checked.",
                proxy.urn,
            )
            continue
        for container, app in _panels(index, route.upstream):
            report(
                f"Nginx container {proxy.name} routes {where} to {route.upstream}, container "
                f"{container.name} running {app}, and {route.open_because}.",
                proxy.urn,
            )


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = list(args.resources)
    hosts = [r for r in resources if npm_objects.is_proxy_host(r)]
    lists = [r for r in resources if npm_objects.is_access_list(r)]
    proxies = [
        r
        for r in resources
        if r.resource_type == DOCKER_CONTAINER and has_keys(r.props, "uploads") and _nginx(r)
    ]
    if not hosts and not proxies:
        return
    index = index_containers(resources)
    pending: UnknownValueError | None = None
    checks: list[Callable[[], None]] = [
        *(lambda h=h: _check_npm(h, lists, index, report_violation) for h in hosts),
        *(lambda p=p: _check_nginx(p, index, report_violation) for p in proxies),
    ]
    for check in checks:
        try:
            check()
        except UnknownValueError as error:
            pending = pending or error
    if pending is not None:
        raise pending


def _nginx(container: PolicyResource) -> bool:
    return nginx_config_directories(str(container.props.get("image") or "")) is not None


proxy_route_admin_panel_authenticated = stack_rule(
    name="proxy-route-admin-panel-authenticated",
    rule_id="NET-004",
    resource_types=RESOURCE_TYPES,
    description=(
        "Every Nginx Proxy Manager proxy host and plain Nginx location that routes to an admin "
        "panel (Portainer, DbGate, Jenkins, RabbitMQ management, Grafana, ...) authenticates: "
        "an access list with users or allowed networks; auth_basic, auth_request or allow + "
        "deny all."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Give the route `auth` in the stack file (users for basic auth, or allowFrom "
        "networks), which the program turns into an NPM access list or nginx auth_basic / "
        "allow + deny all."
    ),
    validate=_validate,
)
