"""The real nginx for the Docker tests and the benchmark: Debian's nginx binary (the tests' own
`nginx` package, 1.22) as an image in the test engine, laid out as the official image the stacks
name (nginxinc/docker-nginx stable/debian). No registry image is involved: the root filesystem
is built here from the host's files and loaded with ``docker import``, like the probe image.

What the plain Nginx kind relies on in the official image, and what this one gives the same way:

- ``/etc/nginx/nginx.conf`` includes ``/etc/nginx/conf.d/*.conf`` inside ``http {}``, runs the
  workers as user ``nginx`` (uid and gid 101: stable/debian/Dockerfile:18-19), logs access to
  stdout and errors to stderr (the Dockerfile's ``ln -sf /dev/stdout ...``);
- ``/docker-entrypoint.sh`` runs every executable ``/docker-entrypoint.d/*.sh`` before it execs
  the command, and only when the command is ``nginx`` (docker-entrypoint.sh:12-36): the stack's
  TLS switch (components/render/nginx_acme.py) is such a script; the command is
  ``nginx -g 'daemon off;'`` (the official image's STOPSIGNAL SIGQUIT is left out: ``docker
  import`` takes no STOPSIGNAL, and no test here stops nginx itself);
- ``curl`` for the stack's healthcheck, and a POSIX shell with cp/mv/cksum for the TLS switch
  (busybox here; the official image has Debian's coreutils: the script uses only POSIX tools).

The binary and curl come with the shared libraries ``ldd`` names, at the same paths.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
from pathlib import Path

from .engine import DockerEngine, EngineError, run

NGINX_IMAGE = "selfhosted-nginx:test"
NGINX_UID = 101
_BUSYBOX_APPLETS = ("sh", "cp", "mv", "rm", "mkdir", "cat", "cksum", "tr", "sleep", "ls")

# The official image's nginx.conf (stable/debian/nginx.conf), with Debian's pid path.
NGINX_CONF = """user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
"""

# docker-entrypoint.sh's contract (stable/debian/docker-entrypoint.sh:12-36), in short: the
# scripts run only when the command is nginx, in name order, the executable ones.
ENTRYPOINT = """#!/bin/sh
set -e
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
    for f in /docker-entrypoint.d/*.sh; do
        [ -x "$f" ] || continue
        echo "$0: running $f"
        "$f"
    done
fi
exec "$@"
"""


def _libraries(binary: str) -> list[str]:
    """The shared objects ``binary`` loads (``ldd``), the loader included."""
    out = run(["ldd", binary])
    found = re.findall(r"(/\S+) \(0x", out)
    return sorted(set(found))


def _add_dir(tar: tarfile.TarFile, name: str, mode: int = 0o755, uid: int = 0) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode, info.uid, info.gid = mode, uid, uid
    tar.addfile(info)


def _add_text(tar: tarfile.TarFile, name: str, text: str, mode: int = 0o644) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, path: str, seen: set[str]) -> None:
    """``path`` (a symlink's target resolved) at ``path``, its directories first."""
    arcname = path.lstrip("/")
    parts = Path(arcname).parts
    for depth in range(1, len(parts)):
        directory = "/".join(parts[:depth])
        if directory not in seen:
            seen.add(directory)
            _add_dir(tar, directory)
    if arcname not in seen:
        seen.add(arcname)
        tar.add(os.path.realpath(path), arcname=arcname, recursive=False)


def nginx_rootfs_tar() -> bytes:
    tools = {name: shutil.which(name) for name in ("nginx", "curl", "busybox")}
    missing = sorted(name for name, path in tools.items() if path is None)
    if missing:
        raise EngineError(
            f"{', '.join(missing)} missing: apt-get install nginx curl busybox-static"
        )
    nginx, curl, busybox = (str(tools[n]) for n in ("nginx", "curl", "busybox"))
    buf = io.BytesIO()
    seen: set[str] = set()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for directory in ("bin", "etc", "etc/nginx", "etc/nginx/conf.d", "run", "var"):
            seen.add(directory)
            _add_dir(tar, directory)
        for directory in ("tmp", "var/log", "var/log/nginx", "var/lib", "var/lib/nginx"):
            seen.add(directory)
            _add_dir(tar, directory, 0o1777 if directory == "tmp" else 0o755)
        for directory in ("docker-entrypoint.d", "etc/letsencrypt", "var/www", "var/www/acme"):
            seen.add(directory)
            _add_dir(tar, directory)
        for path in (nginx, *_libraries(nginx), curl, *_libraries(curl)):
            _add_file(tar, path, seen)
        _add_file(tar, "/etc/nginx/mime.types", seen)
        tar.add(os.path.realpath(busybox), arcname="bin/busybox")
        for applet in _BUSYBOX_APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        for log, target in (("access.log", "/dev/stdout"), ("error.log", "/dev/stderr")):
            link = tarfile.TarInfo(f"var/log/nginx/{log}")
            link.type, link.linkname = tarfile.SYMTYPE, target
            tar.addfile(link)
        _add_text(tar, "etc/nginx/nginx.conf", NGINX_CONF)
        _add_text(
            tar,
            "etc/passwd",
            f"root:x:0:0:root:/root:/bin/sh\nnginx:x:{NGINX_UID}:{NGINX_UID}:nginx:/:/bin/false\n",
        )
        _add_text(tar, "etc/group", f"root:x:0:\nnginx:x:{NGINX_UID}:\n")
        _add_text(tar, "docker-entrypoint.sh", ENTRYPOINT, 0o755)
    return buf.getvalue()


def import_rootfs(engine: DockerEngine, rootfs: bytes, image: str, changes: list[str]) -> str:
    """``rootfs`` imported into ``engine`` as ``image`` (``name:tag``), with PATH set and
    ``changes`` (Dockerfile instructions) applied."""
    engine.api.import_image_from_data(
        rootfs,
        repository=image.partition(":")[0],
        tag=image.partition(":")[2],
        changes=["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", *changes],
    )
    return image


def import_nginx_image(engine: DockerEngine) -> str:
    """Import the nginx image into ``engine`` (a few MB: the binary, curl and their libraries)."""
    return import_rootfs(
        engine,
        nginx_rootfs_tar(),
        NGINX_IMAGE,
        ['ENTRYPOINT ["/docker-entrypoint.sh"]', 'CMD ["nginx", "-g", "daemon off;"]'],
    )
