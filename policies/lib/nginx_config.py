"""The proxied locations of an nginx config file and whether each authenticates, as nginx
applies the directives: parsed with nginxinc's own parser (``crossplane``), never by pattern.

A file is parsed on its own (``single``: an ``include`` is not followed, since the files it
names are the container's, written at run time) and without context checks, since a site file
holds ``server`` blocks that the main config includes inside ``http {}``. Its top level is read
as the ``http`` level.

Per ``location`` that passes requests on (``proxy_pass``, ``grpc_pass``, ``uwsgi_pass``,
``fastcgi_pass``, ``scgi_pass``), the settings in effect are those nginx merges from the
``http``, ``server`` and ``location`` levels (a level without the directive inherits it):

- basic auth: the innermost ``auth_basic`` is not ``off`` and an ``auth_basic_user_file`` is in
  effect (ngx_http_auth_basic_module);
- a subrequest check: the innermost ``auth_request`` is not ``off`` (ngx_http_auth_request_module:
  forward auth);
- source networks: the ``allow``/``deny`` rules of the innermost level that has any (nginx
  does not add a parent's rules to a level's own), checked in order, first match wins
  (ngx_http_access_module): they restrict when the first rule that matches every address
  (``all``, ``0.0.0.0/0``...) is a ``deny``;
- ``satisfy any`` (ngx_http_core_module) lets a request in when either check passes, so there
  an ``allow`` of every address opens the location whatever else is set.

The upstream is the pass directive's URL with the variables that ``set`` gives in the same
chain of levels replaced (the nginx kind writes ``set $upstream_0 http://web:3000;``
``proxy_pass $upstream_0;``), and an ``upstream`` block of that name replaced by its servers.
An upstream still holding a variable cannot be followed and is not returned.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import crossplane

from lib.networks import covers_anywhere
from lib.upstreams import Upstream, parse_upstream

PASSES = ("proxy_pass", "grpc_pass", "uwsgi_pass", "fastcgi_pass", "scgi_pass")
_VARIABLE = re.compile(r"\$\{?([A-Za-z0-9_]+)\}?")

Block = Sequence[Mapping[str, Any]]  # crossplane's parsed directives of one level


class NginxConfigError(Exception):
    """What crossplane says of a file it cannot parse."""


@dataclass(frozen=True)
class NginxRoute:
    server_names: tuple[str, ...]
    location: str  # as written: "^~ /rabbitmq/", "= /api", "/"
    upstream: Upstream
    open_because: str | None  # None: the location authenticates


def parse(text: str) -> Block:
    """The top-level directives of one config file."""
    with tempfile.TemporaryDirectory(prefix="policy-nginx-") as directory:
        path = Path(directory) / "site.conf"
        path.write_text(text)
        result = crossplane.parse(str(path), single=True, check_ctx=False, comments=False)
    errors = [
        f"line {e.get('line')}: {str(e.get('error', '')).split(f' in {path}:')[0]}"
        for e in result.get("errors", [])  # each file's errors are repeated here
    ]
    if errors:
        raise NginxConfigError("; ".join(dict.fromkeys(errors)))
    return list(result["config"][0]["parsed"])


def routes(text: str) -> Iterator[NginxRoute]:
    """Every proxied location of the file, with what authenticates it (NginxConfigError when
    crossplane refuses the file)."""
    top = parse(text)
    upstream_blocks = {
        d["args"][0]: [s["args"][0] for s in d.get("block", []) if s["directive"] == "server"]
        for d in top
        if d["directive"] == "upstream" and d.get("args")
    }
    for server in _blocks(top, "server"):
        names = tuple(a for d in _blocks_args(server, "server_name") for a in d)
        for chain in _locations([top, server.get("block", [])], server.get("block", [])):
            yield from _routes(names, chain, upstream_blocks)


def _blocks(block: Block, name: str) -> list[Mapping[str, Any]]:
    return [d for d in block if d["directive"] == name]


def _blocks_args(server: Mapping[str, Any], name: str) -> list[list[str]]:
    return [list(d.get("args", [])) for d in server.get("block", []) if d["directive"] == name]


def _locations(
    chain: list[Block], block: Block, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], list[Block]]]:
    for directive in _blocks(block, "location"):
        inner = directive.get("block", [])
        where = (*path, " ".join(directive.get("args", [])))
        yield where, [*chain, inner]
        yield from _locations([*chain, inner], inner, where)


def _routes(
    names: tuple[str, ...],
    located: tuple[tuple[str, ...], list[Block]],
    upstream_blocks: Mapping[str, list[str]],
) -> Iterator[NginxRoute]:
    where, chain = located
    innermost = chain[-1]
    passes = [d for d in innermost if d["directive"] in PASSES and d.get("args")]
    if not passes:
        return
    variables = _variables(chain)
    open_because = _open_because(chain)
    for directive in passes:
        url = _VARIABLE.sub(lambda m: variables.get(m[1], m[0]), directive["args"][0])
        parsed = parse_upstream(url)
        if parsed is None:
            continue
        targets = upstream_blocks.get(parsed.host)
        found = [parse_upstream(t) for t in targets] if targets is not None else [parsed]
        for upstream in found:
            if upstream is not None and "$" not in upstream.host:
                yield NginxRoute(names, " > ".join(where), upstream, open_because)


def _variables(chain: list[Block]) -> dict[str, str]:
    values: dict[str, str] = {}
    for level in chain:
        for directive in level:
            args = directive.get("args", [])
            if directive["directive"] == "set" and len(args) == 2:
                values[args[0].lstrip("$").strip("{}")] = args[1]
    return values


def _innermost(chain: list[Block], *names: str) -> list[Mapping[str, Any]]:
    """The directives ``names`` of the innermost level that has any of them."""
    for level in reversed(chain):
        found = [d for d in level if d["directive"] in names]
        if found:
            return found
    return []


def _value(chain: list[Block], name: str) -> str | None:
    found = _innermost(chain, name)
    return " ".join(found[-1].get("args", [])) if found else None


def _matches_everyone(address: str) -> bool:
    return address == "all" or covers_anywhere([address])


def _open_because(chain: list[Block]) -> str | None:
    """None when the location authenticates; else why not."""
    basic = _value(chain, "auth_basic") not in (None, "off") and (
        _value(chain, "auth_basic_user_file") is not None
    )
    subrequest = _value(chain, "auth_request") not in (None, "off")
    restricted = opened = False
    for rule in _innermost(chain, "allow", "deny"):
        # The first rule that matches every address decides for all the others.
        if _matches_everyone((rule.get("args") or [""])[0]):
            opened, restricted = rule["directive"] == "allow", rule["directive"] == "deny"
            break
    if _value(chain, "satisfy") == "any" and opened:
        return "its satisfy any with an allow of every address lets anyone in"
    if basic or subrequest or restricted:
        return None
    return "it has no auth_basic, auth_request or allow + deny all"
