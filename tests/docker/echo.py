"""An HTTP echo backend for the proxy tests: busybox's httpd (Debian's busybox-static) in an
image made with ``docker import``, like the probe image. No registry image is involved.

What it serves on ``$PORT`` (8080 by default), each answer one line ``$ECHO_NAME <version>``:
``/`` and ``/api`` (a path route lands on the same text, so the answering service shows which
route matched), ``/health`` for the healthcheck (absent in the ``broken`` image: it never
becomes healthy), and ``/cgi-bin/ws``: a WebSocket handshake (RFC 6455 4.2.2: the accept key
is base64(SHA-1(key + GUID)), computed by busybox's own sha1sum and base64) followed by one
text frame ``hello from <name> <version>``.

Its stop: on SIGTERM it keeps serving ``$DRAIN`` seconds (1 by default), then stops httpd's
listener and gives the requests already accepted (httpd's children) a second to finish before
the container ends (which kills whatever is left). That is the behaviour a zero-downtime
redeploy asks of an app (README, "Redeploys without downtime"): requests that reach it in the
moment before the proxy learns it is going are still answered, and none is cut off at the end.

The ``closer`` image (``import_closer_image``) is the instant no app can drain: it accepts
every connection on ``$PORT``, reads the request line and closes without answering (busybox's
``nc -ll -e``; the unread rest of the request makes the kernel reset the connection). That is
what a proxy meets when it wrote a request into the listen backlog of an app that just ended.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile

from .engine import DockerEngine, EngineError

ECHO_IMAGE = "selfhosted-echo"
ECHO_PORT = 8080
WS_PATH = "/cgi-bin/ws"
_APPLETS = ("sh", "httpd", "wget", "sha1sum", "cut", "xxd", "base64", "cat", "sleep", "kill", "nc")
CLOSER_TAG = "closer"

_SERVE = """#!/bin/sh
reply="${ECHO_NAME:-echo} $(cat /version)"
mkdir -p /tmp/www/cgi-bin
echo "$reply" > /tmp/www/index.html
echo "$reply" > /tmp/www/api
[ -e /healthy ] && echo ok > /tmp/www/health
cp /ws /tmp/www/cgi-bin/ws
httpd -f -p "${PORT:-8080}" -h /tmp/www &
pid=$!
trap 'sleep "${DRAIN:-1}"; kill "$pid"; sleep 1; exit 0' TERM
wait "$pid"
"""

_WS = """#!/bin/sh
key="$HTTP_SEC_WEBSOCKET_KEY"
accept=$(printf "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11" "$key" | sha1sum | cut -c1-40 \\
    | xxd -r -p | base64)
msg="hello from $(cat /tmp/www/index.html)"
printf 'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n'
printf 'Sec-WebSocket-Accept: %s\\r\\n\\r\\n' "$accept"
printf '\\201'; printf "\\\\$(printf '%03o' ${#msg})"; printf '%s' "$msg"
sleep 1
"""


# The closer's /serve and the program nc runs per connection (it exits after one line).
_CLOSER_SERVE = """#!/bin/sh
exec nc -ll -p "${PORT:-8080}" -e /close
"""
_CLOSE = """#!/bin/sh
read -r line
"""


_IMAGE_CHANGES = ["ENV PATH=/bin", 'ENTRYPOINT ["/serve"]']


def _file(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def _rootfs_tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    """busybox with its applets, /tmp, and ``files`` (name: content, mode)."""
    busybox = shutil.which("busybox")
    if busybox is None:
        raise EngineError("busybox is missing: apt-get install busybox-static")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for directory in ("bin", "tmp"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        tar.add(os.path.realpath(busybox), arcname="bin/busybox")
        for applet in _APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
        for name, (data, mode) in files.items():
            _file(tar, name, data, mode)
    return buf.getvalue()


def echo_rootfs_tar(version: str, healthy: bool) -> bytes:
    files = {
        "serve": (_SERVE.encode(), 0o755),
        "ws": (_WS.encode(), 0o755),
        "version": (f"{version}\n".encode(), 0o644),
    }
    if healthy:
        files["healthy"] = (b"", 0o644)
    return _rootfs_tar(files)


def import_echo_image(engine: DockerEngine, version: str, healthy: bool = True) -> str:
    """``selfhosted-echo:<version>``: answers ``<name> <version>``; never healthy unless
    ``healthy``."""
    engine.api.import_image_from_data(
        echo_rootfs_tar(version, healthy),
        repository=ECHO_IMAGE,
        tag=version,
        changes=_IMAGE_CHANGES,
    )
    return f"{ECHO_IMAGE}:{version}"


def import_closer_image(engine: DockerEngine) -> str:
    """``selfhosted-echo:closer``: every connection on ``$PORT`` closed unanswered (above)."""
    engine.api.import_image_from_data(
        _rootfs_tar({"serve": (_CLOSER_SERVE.encode(), 0o755), "close": (_CLOSE.encode(), 0o755)}),
        repository=ECHO_IMAGE,
        tag=CLOSER_TAG,
        changes=_IMAGE_CHANGES,
    )
    return f"{ECHO_IMAGE}:{CLOSER_TAG}"
