"""Nginx Proxy Manager's objects as this library declares them (components/npm/resources.py):
Pulumi dynamic resources, all of the SDK's one type ``pulumi-python:dynamic:Resource``, told
apart by their inputs, which are what NPM receives (each is sent as its API body,
components/proxies/npm_api.py):

- a proxy host has ``domainNames``, ``forwardHost``, ``forwardPort`` and ``accessListId``
  (0: none), and ``locations[]`` with their own ``path``/``forwardHost``/``forwardPort``;
  a forward host may be an nginx variable that an ``advancedConfig`` sets (the program's
  locations are: components/npm/routes.py), which ``forward_host`` resolves;
- an access list has ``items`` (users: ``username``, ``password``), ``clients`` (``address``,
  ``directive``) and ``satisfyAny``; its id in NPM is the output ``npmId``.

How NPM applies an access list (v2.12.6 backend/templates/_access.conf, commit dad8d0c): users
become ``auth_basic`` with the list's users file (:2-5), each client an ``allow``/``deny`` rule
followed by a final ``deny all`` (:13-17), and ``satisfy any`` or ``satisfy all`` (:19-24); the
host's custom locations include the same file (backend/templates/_location.conf:12, commit
01a1b0f). In later releases (commit 12a1cf5 of the same file) a list with no clients and no
users writes no check at all. So a list lets anyone in when it has no users and no clients, or
when a client ``allow`` admits every address while it has no users or ``satisfyAny`` is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource

from lib import nginx_config
from lib.networks import covers_anywhere
from lib.readers import has_keys
from lib.types import DYNAMIC_RESOURCE

PROXY_HOST_KEYS = ("domainNames", "forwardHost", "forwardPort", "accessListId")
ACCESS_LIST_KEYS = ("items", "clients", "satisfyAny")


def _has(resource: PolicyResource, keys: tuple[str, ...]) -> bool:
    return resource.resource_type == DYNAMIC_RESOURCE and has_keys(resource.props, *keys)


def is_proxy_host(resource: PolicyResource) -> bool:
    return _has(resource, PROXY_HOST_KEYS)


def forward_host(forward: Mapping[str, Any], host: Mapping[str, Any]) -> str:
    """The host ``forward`` (a proxy host's props, or one of its locations) reaches: NPM writes
    its forward host into ``proxy_pass`` (backend/templates/_location.conf:10, the host's own
    through ``set $server``, proxy_host.conf:9), so a variable there is what the ``set``
    directives of the advanced configs around it give it (the host's server block, then the
    location's own). A config crossplane cannot parse, or a variable nothing sets, leaves it
    as written, which reaches no container the stack declares."""
    chain = []
    for config in {id(c): c for c in (host, forward)}.values():
        try:
            chain.append(nginx_config.parse(str(config.get("advancedConfig") or "")))
        except nginx_config.NginxConfigError:
            return str(forward.get("forwardHost"))
    return nginx_config.substitute(
        str(forward.get("forwardHost")), nginx_config.set_variables(chain)
    ).strip('"')


def is_access_list(resource: PolicyResource) -> bool:
    return _has(resource, ACCESS_LIST_KEYS)


def _everyone(clients: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The client rule that admits every address, if one is reached: nginx takes the first
    rule that matches, so a ``deny all`` before it closes the list."""
    for client in clients:
        address = str(client.get("address") or "").strip()
        if address == "all" or covers_anywhere([address]):
            return client if client.get("directive") == "allow" else None
    return None


def open_because(access_list: PolicyResource) -> str | None:
    """None when the list authenticates; else why it lets anyone in."""
    props = access_list.props
    users = len(props.get("items") or [])
    clients = list(props.get("clients") or [])
    if not users and not clients:
        return "authenticates nobody (no users and no clients)"
    everyone = _everyone(clients)
    if everyone is None:
        return None
    allow = f"its client allow {everyone.get('address')} admits every address"
    if not users:
        return f"has no users and {allow}"
    if props.get("satisfyAny"):
        return f"satisfies any check and {allow}"
    return None
