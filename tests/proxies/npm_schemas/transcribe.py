"""Transcribe NPM's published request schemas into this directory's fixtures (run by hand).

    python -m tests.proxies.npm_schemas.transcribe <git dir of nginx-proxy-manager>

For each tag in ``TAGS`` and each endpoint in ``ENDPOINTS`` it reads the ``requestBody`` schema of
``backend/schema/paths/...`` at that tag, resolves every ``$ref`` (relative files, in-file
pointers) into one self-contained schema and drops the documentation keywords (``example``,
``description``); the result is ``<tag>.json``, each schema with the file it came from. The
tests read only the fixtures (the repository is not needed to run them).
"""

from __future__ import annotations

import json
import posixpath
import subprocess
import sys
from pathlib import Path
from typing import Any

TAGS = ("v2.12.6", "v2.13.7")
ENDPOINTS = {
    "POST /api/tokens": "paths/tokens/post.json",
    "PUT /api/users/{id}": "paths/users/userID/put.json",
    "PUT /api/users/{id}/auth": "paths/users/userID/auth/put.json",
    "POST /api/nginx/proxy-hosts": "paths/nginx/proxy-hosts/post.json",
    "PUT /api/nginx/proxy-hosts/{id}": "paths/nginx/proxy-hosts/hostID/put.json",
    "POST /api/nginx/access-lists": "paths/nginx/access-lists/post.json",
    "PUT /api/nginx/access-lists/{id}": "paths/nginx/access-lists/listID/put.json",
    "POST /api/nginx/certificates": "paths/nginx/certificates/post.json",
}
_DROP = {"example", "examples", "description"}


def _read(git_dir: str, tag: str, path: str) -> Any:
    text = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{tag}:backend/schema/{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(text)


def _pointer(document: Any, pointer: str) -> Any:
    for part in [p for p in pointer.split("/") if p]:
        document = document[part]
    return document


def _resolve(git_dir: str, tag: str, path: str, node: Any, root: Any) -> Any:
    if isinstance(node, list):
        return [_resolve(git_dir, tag, path, item, root) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        if not target:
            return _resolve(git_dir, tag, path, _pointer(root, pointer), root)
        if target == "common":  # the $id of common.json
            file = "common.json"
        else:
            file = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        document = _read(git_dir, tag, file)
        return _resolve(git_dir, tag, file, _pointer(document, pointer), document)
    return {
        key: _resolve(git_dir, tag, path, value, root)
        for key, value in node.items()
        if key not in _DROP
    }


def main(git_dir: str) -> None:
    for tag in TAGS:
        requests = {}
        for endpoint, path in ENDPOINTS.items():
            document = _read(git_dir, tag, path)
            schema = document["requestBody"]["content"]["application/json"]["schema"]
            requests[endpoint] = {
                "file": f"backend/schema/{path}",
                "schema": _resolve(git_dir, tag, path, schema, document),
            }
        fixture = {
            "repository": "NginxProxyManager/nginx-proxy-manager",
            "tag": tag,
            "requests": requests,
        }
        out = Path(__file__).with_name(f"{tag}.json")
        out.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
