"""Nginx Proxy Manager's objects as this library declares them (components/npm/resources.py):
Pulumi dynamic resources, all of the SDK's one type ``pulumi-python:dynamic:Resource``, told
apart by their inputs, which are what NPM receives (each is sent as its API body,
components/proxies/npm_api.py):

- a proxy host has ``domainNames``, ``forwardHost``, ``forwardPort`` and ``accessListId``
  (0: none), and ``locations[]`` with their own ``path``/``forwardHost``/``forwardPort``;
  a forward host may be an nginx variable that an ``advancedConfig`` sets (the program's
  locations are: components/npm/routes.py), which ``forwards`` resolves;
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
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from lib import nginx_config
from lib.networks import covers_anywhere
from lib.readers import has_keys, number
from lib.types import DYNAMIC_RESOURCE

PROXY_HOST_KEYS = ("domainNames", "forwardHost", "forwardPort", "accessListId")
ACCESS_LIST_KEYS = ("items", "clients", "satisfyAny")


def _has(resource: PolicyResource, keys: tuple[str, ...]) -> bool:
    return resource.resource_type == DYNAMIC_RESOURCE and has_keys(resource.props, *keys)


def is_proxy_host(resource: PolicyResource) -> bool:
    return _has(resource, PROXY_HOST_KEYS)


@dataclass(frozen=True)
class Forward:
    """One route of a proxy host: where it may send requests, and why some of it cannot be
    known (a variable nothing sets, an advanced config that does not parse)."""

    path: str
    targets: frozenset[tuple[str, int | None]]  # (host, port)
    unresolved: str | None = None


def forwards(props: Mapping[str, Any]) -> list[Forward]:
    """Each route of the proxy host ``props``: its ``/`` and each location, with the host and
    port NPM's config sends it to. NPM proxies ``/`` to ``$server:$port``, which it sets from
    the forward (backend/templates/proxy_host.conf:8-10, include/proxy.conf:7), and writes a
    location's forward host and port into its ``proxy_pass`` (_location.conf:10); the host's
    ``advancedConfig`` is in its server block (proxy_host.conf:28), a location's at the top of
    the location (_location.conf:2), so any ``set`` of either (in an ``if`` too) may give a
    variable there its value: each value is a target."""
    own = {"server": str(props.get("forwardHost")), "port": str(number(props.get("forwardPort")))}
    try:
        server = nginx_config.parse(str(props.get("advancedConfig") or ""))
    except nginx_config.NginxConfigError as error:
        return [Forward("/", frozenset(), f"its advanced config cannot be parsed ({error})")]
    routes = [_forward("/", "$server", "$port", nginx_config.set_candidates([server], own))]
    for location in props.get("locations") or []:
        path = str(location.get("path"))
        try:
            block = nginx_config.parse(str(location.get("advancedConfig") or ""))
        except nginx_config.NginxConfigError as error:
            why = f"its advanced config cannot be parsed ({error})"
            routes.append(Forward(path, frozenset(), why))
            continue
        candidates = nginx_config.set_candidates([server, block], own)
        host, port = str(location.get("forwardHost")), str(number(location.get("forwardPort")))
        routes.append(_forward(path, host, port, candidates))
    return routes


def _forward(path: str, host: str, port: str, candidates: Mapping[str, set[str]]) -> Forward:
    hosts = {h.strip('"').lower() for h in nginx_config.expand(host, candidates)}
    ports = nginx_config.expand(port, candidates)
    if any("$" in text for text in hosts | ports):
        why = f"its forward {host}:{port} holds a variable no set of its config gives an address"
        return Forward(path, frozenset(), why)
    numbers = {int(p) if p.isdigit() else None for p in ports}
    return Forward(path, frozenset((h, n) for h in hosts for n in numbers))


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
