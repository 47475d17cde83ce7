"""The proxied locations of an nginx container's uploaded config files and whether each
authenticates, as nginx applies the directives: parsed with nginxinc's own parser
(``crossplane``), never by pattern.

Which files, and how they fit together:

- every upload under the image's config directories (``lib.images.NGINX_IMAGES``: /etc/nginx
  for the official image), whatever its name ends in (Debian's ``sites-enabled/default`` has
  no extension), is a config file, except one that another file names as data
  (``auth_basic_user_file``, ``ssl_certificate``...: any argument but an ``include``'s);
- an ``include`` is resolved against the uploads, as nginx would on the container: a relative
  pattern against the config prefix (the first directory; nginx's ``conf_prefix``), a glob as
  glob(3) matches it (``*`` stays within one path segment). The included files' directives
  stand where the ``include`` is. An include that matches no upload names files of the
  container (the image's ``mime.types``, or ones written at run time) whose directives cannot
  be read here: a location that would otherwise be open, with such an include anywhere in its
  chain of levels, "cannot be checked" rather than "open";
- a file no other upload includes is read at the top: it is either a main config (``events {}
  http { ... }``: the servers inside ``http {}``) or a file the image's main config includes
  inside ``http {}`` (its top level is the ``http`` level). Files are parsed one at a time
  (``single``) and without context checks, since a site file holds ``server`` blocks.

Per ``location`` that passes requests on (``proxy_pass``, ``grpc_pass``, ``uwsgi_pass``,
``fastcgi_pass``, ``scgi_pass``), directly or inside an ``if`` or ``limit_except`` block of it
(both are levels nested in the location: ngx_http_rewrite_module ``if``, ngx_http_core_module
``limit_except``), the settings in effect are those nginx merges from the ``http``, ``server``,
``location`` (and ``if``/``limit_except``) levels (a level without the directive inherits it):

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

A ``limit_except`` block's own checks cover only the methods it does not list, so they do not
authenticate the location's own pass directive (``limit_except GET { auth_basic ...; }``
leaves GET open).

The upstreams are the pass directive's URL with its variables replaced by every value a request
may see (the nginx kind writes ``set $upstream_0 http://web:3000;`` ``proxy_pass $upstream_0;``):
what any ``set`` of the server's level and of the location's own gives, in an ``if`` block of
them too (each ``set``, not only the last: a ``break`` or an ``if`` can stop the rewrites before
a later one); a location nested in another inherits none of the outer one's (no rewrite
directive is inherited: ngx_http_rewrite_module.c ``ngx_http_rewrite_merge_loc_conf``), and
inside ``limit_except`` only the server's counts (real nginx leaves a location's out there,
tests/policies/test_nginx_verdicts.py); and every value of a ``map``, ``geo`` or
``split_clients`` in any of the files (entries from an include no upload is are unknown). A
variable scheme, the path's variables (``$request_uri``, ``$uri``, ``$document_uri``) and
``$is_args`` decide no address. An ``upstream`` block of that name (in any of the files,
case-insensitive) is replaced by its servers. A URL whose host or port still holds a variable
(``$http_host``, a variable nothing here gives) is returned with ``unresolved`` set: where it
goes is decided per request, so it cannot be checked (tests/policies/
test_nginx_variable_routes.py serves these with real nginx).
"""

from __future__ import annotations

import posixpath
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import crossplane

from lib.networks import covers_anywhere
from lib.upstreams import Upstream, parse_upstream

PASSES = ("proxy_pass", "grpc_pass", "uwsgi_pass", "fastcgi_pass", "scgi_pass")
# Blocks inside a location whose pass directives are the location's (with their own level).
NESTED = ("if", "limit_except")
DEFAULT_DIRECTORIES = ("/etc/nginx",)
_VARIABLE = re.compile(r"\$\{?([A-Za-z0-9_]+)\}?")
# nginx's variables whose value is a request's path, so always starts with "/"
# (ngx_http_variables.c: $request_uri, $uri, $document_uri).
_PATH_VARIABLE = re.compile(r"\$\{?(?:request_uri|uri|document_uri)\}?(?![A-Za-z0-9_])", re.I)
# A variable scheme (``$scheme://``), and ``$is_args`` ("?" when the request has arguments).
_SCHEME_VARIABLE = re.compile(r"^\$\{?[A-Za-z0-9_]+\}?://")
_IS_ARGS = re.compile(r"\$\{?is_args\}?(?![A-Za-z0-9_])", re.I)
_GLOB = re.compile(r"[*?\[]")
# Stands, in a resolved level, where an include matched no upload (its args: the pattern).
_UNRESOLVED = "#unresolved-include"

Directive = Mapping[str, Any]
Block = Sequence[Directive]  # crossplane's parsed directives of one level


class NginxConfigError(Exception):
    """What crossplane says of a file it cannot parse (or why a file cannot be read)."""


@dataclass(frozen=True)
class NginxRoute:
    server_names: tuple[str, ...]
    location: str  # as written: "^~ /rabbitmq/", "= /api", "/"
    upstream: Upstream | None  # None: ``unresolved``
    open_because: str | None  # None: the location authenticates
    file: str = ""  # the upload the location is written in
    unresolved: str | None = None  # the pass URL whose host or port holds a variable


@dataclass
class NginxConfig:
    """What the uploads say: the routes, and the config files that could not be read."""

    routes: list[NginxRoute] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # file -> why


def parse(text: str) -> Block:
    """The top-level directives of one config file."""
    with tempfile.TemporaryDirectory(prefix="policy-nginx-") as directory:
        path = Path(directory) / "site.conf"
        path.write_text(text)
        result = crossplane.parse(str(path), single=True, check_ctx=False, comments=False)
    errors = [
        f"line {e.get('line')}: {str(e.get('error', '')).split(f' in {path}:')[0]}"
        if e.get("error")
        else "it ends inside a directive or block"  # crossplane names neither line nor cause
        for e in result.get("errors", [])  # each file's errors are repeated here
    ]
    if errors:
        raise NginxConfigError("; ".join(dict.fromkeys(errors)))
    return list(result["config"][0]["parsed"])


def read(
    files: Mapping[str, Callable[[], str]], directories: Sequence[str] = DEFAULT_DIRECTORIES
) -> NginxConfig:
    """The routes of a container whose uploads are ``files`` (path -> its content, read only
    when needed: an unknown content of a file nginx never loads defers nothing)."""
    return _Uploads(files, directories).config()


def routes(text: str, file: str = "/etc/nginx/conf.d/default.conf") -> Iterator[NginxRoute]:
    """The routes of one site file on its own (NginxConfigError when crossplane refuses it)."""
    config = read({file: lambda: text})
    if config.errors:
        raise NginxConfigError(config.errors[file])
    yield from config.routes


class _Uploads:
    def __init__(self, files: Mapping[str, Callable[[], str]], directories: Sequence[str]):
        self.files = files
        self.prefix = directories[0]
        self.directories = directories
        self.parsed: dict[str, Block] = {}
        self.errors: dict[str, str] = {}

    def _parse(self, path: str) -> Block | None:
        if path not in self.parsed and path not in self.errors:
            try:
                self.parsed[path] = parse(self.files[path]())
            except NginxConfigError as error:
                self.errors[path] = str(error)
        return self.parsed.get(path)

    def _full(self, name: str) -> str:
        return posixpath.normpath(posixpath.join(self.prefix, name))

    def _matches(self, pattern: str) -> list[str]:
        full = self._full(pattern)
        if not _GLOB.search(full):
            return [full] if full in self.files else []
        return sorted(p for p in self.files if PurePosixPath(p).match(full))

    def config(self) -> NginxConfig:
        candidates = [p for p in self.files if any(p.startswith(f"{d}/") for d in self.directories)]
        included, named = self._scan(candidates)
        config = NginxConfig(
            errors={p: e for p, e in self.errors.items() if p not in named or p in included}
        )
        roots = sorted(p for p in candidates if p not in included and p in self.parsed)
        https = [
            http for p in roots for http in _http_levels(self._expand(self.parsed[p], p, (p,)))
        ]
        # nginx compares upstream names case-insensitively (ngx_http_upstream.c
        # ngx_http_upstream_add); a map's variable is global to the http level, whichever
        # file holds it.
        upstreams = {
            str(d["args"][0]).lower(): [
                str(s["args"][0]) for s in _blocks(d.get("block", []), "server")
            ]
            for http in https
            for d in _blocks(http, "upstream")
            if d.get("args")
        }
        maps = _map_values(https)
        for http in https:
            for server in _blocks(http, "server"):
                inner = server.get("block", [])
                names = tuple(a for d in _blocks(inner, "server_name") for a in d["args"])
                for where, chain, file in _locations([http, inner], inner):
                    found = _routes(names, where, chain, file, upstream_blocks=upstreams, maps=maps)
                    config.routes.extend(found)
        return config

    def _scan(self, candidates: list[str]) -> tuple[set[str], set[str]]:
        """The uploads some config file includes, and those one names as data (any argument
        but an include's: a users file, a certificate)."""
        included: set[str] = set()
        named: set[str] = set()
        seen: set[str] = set()
        queue = list(candidates)
        while queue:
            path = queue.pop()
            if path in seen:
                continue
            seen.add(path)
            for directive in _walk(self._parse(path) or []):
                args = [str(a) for a in directive.get("args", [])]
                if directive["directive"] == "include" and args:
                    found = [p for p in self._matches(args[0]) if p != path]
                    included.update(found)
                    queue.extend(found)
                else:
                    named.update(self._full(a) for a in args if "$" not in a)
        return included, named

    def _expand(self, block: Block, file: str, stack: tuple[str, ...]) -> list[Directive]:
        """``block`` with every include replaced by the directives of the uploads it names."""
        out: list[Directive] = []
        for directive in block:
            args = directive.get("args", [])
            if directive["directive"] == "include" and args:
                found = [p for p in self._matches(str(args[0])) if p not in stack]
                for path in found:
                    tree = self._parse(path)
                    if tree is not None:
                        out.extend(self._expand(tree, path, (*stack, path)))
                if not found or any(p in self.errors for p in found):
                    pattern = self._full(str(args[0]))
                    out.append({"directive": _UNRESOLVED, "args": [pattern], "file": file})
                continue
            copy = {**directive, "file": file}
            if "block" in directive:
                copy["block"] = self._expand(directive["block"], file, stack)
            out.append(copy)
        return out


def _walk(block: Block) -> Iterator[Directive]:
    for directive in block:
        yield directive
        yield from _walk(directive.get("block", []))


def _blocks(block: Block, name: str) -> list[Directive]:
    return [d for d in block if d["directive"] == name]


def _http_levels(tree: Block) -> list[Block]:
    """The ``http`` levels of a file read at the top: its ``http {}`` blocks (a main config),
    and its top level (a file the main config includes inside ``http {}``)."""
    return [tree, *(d.get("block", []) for d in _blocks(tree, "http"))]


def _locations(
    chain: list[Block], block: Block, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, list[Block], str]]:
    """Each location under ``block`` (nested ones too): where, its chain of levels, its file."""
    for directive in _blocks(block, "location"):
        inner = directive.get("block", [])
        where = (*path, " ".join(directive.get("args", [])))
        yield " > ".join(where), [*chain, inner], str(directive.get("file", ""))
        yield from _locations([*chain, inner], inner, where)


def _routes(
    names: tuple[str, ...],
    where: str,
    chain: list[Block],
    file: str,
    *,
    upstream_blocks: Mapping[str, list[str]],
    maps: Mapping[str, set[str]],
) -> Iterator[NginxRoute]:
    location = chain[-1]
    # (levels, the levels whose ``set`` runs for them): the server's and the location's own,
    # not an enclosing location's (a location inherits no rewrite directives:
    # ngx_http_rewrite_merge_loc_conf); a limit_except block replaces the location's config
    # from the rewrite phase on, so only the server's ``set`` (server rewrite phase) is in
    # effect there; an if block runs within the location's.
    own = [*chain[:2], location]
    levels = [(chain, own)]
    for directive in location:
        if directive["directive"] in NESTED:
            inner = [*chain, directive.get("block", [])]
            setting = chain[:2] if directive["directive"] == "limit_except" else own
            levels.append((inner, setting))
    for levels_chain, setting in levels:
        passes = [d for d in levels_chain[-1] if d["directive"] in PASSES and d.get("args")]
        if not passes:
            continue
        candidates = _candidates(setting, maps)
        open_because = _open_because(levels_chain)
        for directive in passes:
            written = str(directive["args"][0])
            urls = [_normalized(url) for url in sorted(expand(written, candidates))]
            if any("$" in _authority(url) for url in urls):
                yield NginxRoute(names, where, None, open_because, file, unresolved=written)
                continue
            for url in urls:
                parsed = parse_upstream(url)
                if parsed is None:
                    continue
                targets = upstream_blocks.get(parsed.host)
                found = [parse_upstream(t) for t in targets] if targets is not None else [parsed]
                for upstream in found:
                    if upstream is not None:
                        yield NginxRoute(names, where, upstream, open_because, file)


def _normalized(url: str) -> str:
    """A pass URL with what cannot change its address made literal: a variable scheme
    (proxy_pass takes http or https), the path's variables and ``$is_args`` (nginx ends the
    host at ``/`` or ``?``: ngx_inet.c ngx_parse_inet_url)."""
    url = _SCHEME_VARIABLE.sub("http://", url)
    return _IS_ARGS.sub("?", _PATH_VARIABLE.sub("/", url))


def _authority(url: str) -> str:
    """The ``host[:port]`` of a normalized pass URL (``scheme://`` optional)."""
    return re.split(r"[/?]", url.split("://", 1)[-1], maxsplit=1)[0]


# A value that leaves a variable unresolved (it holds a "$" that names no variable): what a
# request may put in a variable it controls, or a map's entries the uploads do not hold.
_UNKNOWN_VALUE = "$?"
# Variables a request gives when no ``set`` ran for it (ngx_http_variables.c prefixes).
_REQUEST_PREFIXES = ("http_", "arg_", "cookie_")


def _level_sets(level: Block) -> Iterator[Directive]:
    """The ``set`` directives of one level, and of the ``if`` blocks in it (an ``if`` runs for
    some requests), not of the locations nested in it."""
    for directive in level:
        if directive["directive"] == "set":
            yield directive
        elif directive["directive"] == "if":
            yield from _level_sets(directive.get("block", []))


def _candidates(setting: list[Block], maps: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Every value a request may see in each variable at the pass directive: any ``set`` of
    the levels along ``setting`` (each, not only the last: a ``break`` or an ``if`` can stop
    the rewrites before a later one), the values of a ``map``, ``geo`` or ``split_clients``."""
    values = {name: set(found) for name, found in maps.items()}
    for level in setting:
        for directive in _level_sets(level):
            args = directive.get("args", [])
            if len(args) == 2:
                name = _name(args[0])
                values.setdefault(name, set()).add(str(args[1]))
                if name.startswith(_REQUEST_PREFIXES):
                    values[name].add(_UNKNOWN_VALUE)
    return values


# The http level's blocks that give a variable one of their entries' values, the variable
# being their last argument (ngx_http_map_module, ngx_http_geo_module,
# ngx_http_split_clients_module). A geo's ``proxy`` and ``delete`` entries are read as values
# too: an address more to check, never one less.
_VALUE_BLOCKS = ("map", "geo", "split_clients")


def _map_values(https: Sequence[Block]) -> dict[str, set[str]]:
    """Each ``map``'s, ``geo``'s and ``split_clients``' variable and its values (the default
    included; an include the uploads do not hold gives an unknown one), from every ``http``
    level read."""
    values: dict[str, set[str]] = {}
    for http in https:
        for block in http:
            args = block.get("args", [])
            if block["directive"] not in _VALUE_BLOCKS or not args:
                continue
            found = values.setdefault(_name(args[-1]), set())
            for entry in block.get("block", []):
                if entry["directive"] == _UNRESOLVED:
                    found.add(_UNKNOWN_VALUE)
                elif entry.get("args"):
                    found.add(str(entry["args"][-1]))
    return values


# nginx's variable names are case-insensitive (ngx_http_variables.c hashes them lower-cased),
# and a ``set`` value may hold another variable: substitution runs until nothing changes,
# bounded (a cycle stays unresolved).
_SUBSTITUTIONS = 8


def _name(token: str) -> str:
    return token.lstrip("$").strip("{}").lower()


def set_candidates(blocks: Sequence[Block], known: Mapping[str, str] = {}) -> dict[str, set[str]]:
    """Every value any ``set`` in ``blocks`` gives each variable, in nested blocks too (an
    ``if`` may or may not run), over the ``known`` ones: a value some request may see."""
    values = {name: {value} for name, value in known.items()}
    for block in blocks:
        for directive in _walk(block):
            args = directive.get("args", [])
            if directive["directive"] == "set" and len(args) == 2:
                values.setdefault(_name(args[0]), set()).add(args[1])
    return values


def expand(text: str, candidates: Mapping[str, set[str]]) -> set[str]:
    """``text`` with its variables replaced by each of their candidates, until nothing
    changes (bounded); a result that still holds a ``$`` could not be resolved."""
    results = {text}
    for _ in range(_SUBSTITUTIONS):
        step: set[str] = set()
        for item in results:
            match = next(
                (m for m in _VARIABLE.finditer(item) if candidates.get(m[1].lower())), None
            )
            if match is None:
                step.add(item)
                continue
            values = candidates[match[1].lower()]
            step |= {item[: match.start()] + value + item[match.end() :] for value in values}
        if step == results:
            break
        results = step
    return results


def _innermost(chain: list[Block], *names: str) -> list[Directive]:
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
    unresolved = [str(d["args"][0]) for level in chain for d in _blocks(level, _UNRESOLVED)]
    if unresolved:
        return (
            f"it has no auth_basic, auth_request or allow + deny all of its own and includes "
            f"{', '.join(unresolved)}, which no upload is, so it cannot be checked"
        )
    return "it has no auth_basic, auth_request or allow + deny all"
