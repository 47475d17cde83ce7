"""Nginx Proxy Manager's nginx, for the Docker tests: what NPM's container serves a proxy host
with, without NPM's Node backend (which cannot run here). The image is Debian's nginx
(tests/docker/nginx.py's root filesystem) laid out as NPM's image lays out its OpenResty: NPM's
own nginx.conf and conf.d/include/ files (tests/proxies/npm_templates/, transcribed at v2.12.6),
and each proxy host's file rendered from the body the program sends, by NPM's templates and
Liquid engine (tests/proxies/npm_render.js), into /data/nginx/proxy_host/<id>.conf.

What NPM's image does that this one does the same way, from NPM's repository at v2.12.6:

- the resolver: docker/rootfs/etc/s6-overlay/s6-rc.d/prepare/40-dynamic.sh:8-14 writes
  ``resolver <nameservers of /etc/resolv.conf> [ipv6=off] valid=10s;`` into
  conf.d/include/resolvers.conf at every start (``START`` below runs the same awk);
- nginx.conf runs the workers as ``npm``, includes /etc/nginx/modules/*.conf (here the stream
  module Debian builds as a module, which OpenResty has built in) and /data/nginx/proxy_host/;
- the healthcheck is /usr/bin/check-health (docker/rootfs/bin/check-health asks NPM's API on
  port 81, which is Node's): here it asks whether nginx's master runs.

One line differs: NPM renders ``http2 on;`` (backend/templates/_listen.conf), which nginx reads
from 1.25.1 (nginx CHANGES 1.25.1) and Debian's 1.22 does not; ``for_debian_nginx`` moves it to
``listen 443 ssl http2``, the form 1.22 has for the same setting.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.proxies.liquidjs import liquidjs_main

from .engine import DockerEngine
from .nginx import _add_dir, _add_text, import_rootfs, nginx_rootfs_tar

NPM_NGINX_IMAGE = "selfhosted-npm-nginx:test"
# The NPM version whose files are transcribed (the stacks' pin; test_npm_edge.py checks it).
NPM_TAG = "2.12.6"
FIXTURES = Path(__file__).resolve().parents[1] / "proxies" / "npm_templates" / f"v{NPM_TAG}"
TEMPLATES = FIXTURES / "backend" / "templates"
RENDER = Path(__file__).resolve().parents[1] / "proxies" / "npm_render.js"
ETC_NGINX = FIXTURES / "docker" / "rootfs" / "etc" / "nginx"
NPM_UID = 1000
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
# Replaced by this image's own: the official-image layout of tests/docker/nginx.py.
_REPLACED = {"etc/nginx/nginx.conf", "etc/passwd", "etc/group", "docker-entrypoint.sh"}

START = r"""#!/bin/sh
set -e
# 40-dynamic.sh:8-14 (DISABLE_IPV6 as NPM's is_true reads it)
case "$(echo "${DISABLE_IPV6:-}" | tr A-Z a-z)" in
    1|true|yes|on) v6=" ipv6=off" ;;
    *) v6="" ;;
esac
servers="$(awk 'BEGIN{ORS=" "} $1=="nameserver" { sub(/%.*$/,"",$2); \
    print ($2 ~ ":")? "["$2"]": $2}' /etc/resolv.conf)"
echo resolver "$servers$v6 valid=10s;" > /etc/nginx/conf.d/include/resolvers.conf
mkdir -p /data/logs /data/nginx/proxy_host /data/nginx/custom /tmp/nginx/body
exec "$@"
"""
CHECK_HEALTH = """#!/bin/sh
kill -0 "$(cat /run/nginx/nginx.pid)"
"""


def npm_rootfs_tar() -> bytes:
    buf = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(nginx_rootfs_tar())) as base,
        tarfile.open(fileobj=buf, mode="w") as tar,
    ):
        for member in base.getmembers():
            if member.name in _REPLACED:
                continue
            tar.addfile(member, base.extractfile(member) if member.isfile() else None)
        for directory in ("etc/nginx/modules", "etc/nginx/conf.d/include", "run/nginx", "data"):
            _add_dir(tar, directory)
        for directory in ("usr/lib/nginx", "usr/lib/nginx/modules", "var/lib/nginx/cache"):
            _add_dir(tar, directory)
        _add_dir(tar, "tmp/nginx", 0o1777)
        tar.add(STREAM_MODULE, arcname=STREAM_MODULE.lstrip("/"))
        _add_text(tar, "etc/nginx/modules/stream.conf", f"load_module {STREAM_MODULE};\n")
        _add_text(tar, "etc/nginx/nginx.conf", (ETC_NGINX / "nginx.conf").read_text())
        for include in sorted((ETC_NGINX / "conf.d" / "include").glob("*.conf")):
            _add_text(tar, f"etc/nginx/conf.d/include/{include.name}", include.read_text())
        _add_text(
            tar,
            "etc/passwd",
            f"root:x:0:0:root:/root:/bin/sh\nnpm:x:{NPM_UID}:{NPM_UID}:npm:/:/bin/false\n",
        )
        _add_text(tar, "etc/group", f"root:x:0:\nnpm:x:{NPM_UID}:\n")
        awk = tarfile.TarInfo("bin/awk")  # START's: a busybox applet, as the others
        awk.type, awk.linkname = tarfile.SYMTYPE, "busybox"
        tar.addfile(awk)
        _add_text(tar, "npm-start.sh", START, 0o755)
        _add_text(tar, "usr/bin/check-health", CHECK_HEALTH, 0o755)
    return buf.getvalue()


def import_npm_nginx_image(engine: DockerEngine) -> str:
    changes = [
        # The test engine has no IPv6: as NPM is run there (its README's DISABLE_IPV6).
        "ENV DISABLE_IPV6=true",
        'ENTRYPOINT ["/npm-start.sh"]',
        'CMD ["nginx"]',  # nginx.conf says `daemon off;`
    ]
    return import_rootfs(engine, npm_rootfs_tar(), NPM_NGINX_IMAGE, changes)


def render_proxy_host(row: Mapping[str, Any]) -> str:
    """The proxy host's config file as NPM writes it, from its row (the API body, its ``id``,
    the expanded ``certificate`` and ``access_list``)."""
    proc = subprocess.run(
        ["node", str(RENDER), str(TEMPLATES), str(liquidjs_main())],
        input=json.dumps(row),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"npm_render.js failed: {proc.stderr[-2000:]}")
    return proc.stdout


def for_debian_nginx(config: str) -> str:
    """The one change Debian's nginx 1.22 needs (see above)."""
    assert config.count("listen 443 ssl;") == 1, config
    return config.replace("listen 443 ssl;", "listen 443 ssl http2;").replace("http2 on;", "")
