"""liquidjs, the Liquid engine Nginx Proxy Manager's backend renders its nginx config with, for
tests/proxies/npm_render.js: the version v2.12.6 pins (backend/package.json:19), fetched once
from the npm registry into .venv/npm/ and checked against the registry's integrity hash.

    python -m tests.proxies.liquidjs      # scripts/test.sh runs it before the suite

Its Node build (dist/liquid.node.cjs.js) needs only Node's own modules (fs, path, stream), so
no npm install runs: Debian's ``nodejs`` is all (scripts/test.sh).
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path

VERSION = "10.6.1"
TARBALL = f"https://registry.npmjs.org/liquidjs/-/liquidjs-{VERSION}.tgz"
# The registry's dist.integrity for liquidjs@10.6.1.
INTEGRITY = (
    "sha512-6yUDD8i6QRgVppB8dD73Z672lNa2pxHMsMNEZvbVQyj937wMk/"
    "kbKfhSnN9Sess/k8eRdgKeQHsTGIiCGkWrGw=="
)
ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / ".venv" / "npm" / f"liquidjs-{VERSION}"
MAIN = HOME / "package" / "dist" / "liquid.node.cjs.js"


def liquidjs_main() -> Path:
    """The engine's entry file; fetched if it is not there yet."""
    if MAIN.exists():
        return MAIN
    with urllib.request.urlopen(TARBALL, timeout=60) as reply:
        data = reply.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        raise RuntimeError(f"{TARBALL}: integrity {digest}, expected {INTEGRITY}")
    HOME.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(HOME, filter="data")
    return MAIN


if __name__ == "__main__":
    print(liquidjs_main())
