"""Transcribe the files Nginx Proxy Manager renders a proxy host's nginx config from into this
directory's fixtures (run by hand, like ../npm_schemas/transcribe.py).

    python -m tests.proxies.npm_templates.transcribe <git dir of nginx-proxy-manager>

For each tag in ``TAGS`` it writes ``<tag>/<path>`` for every path in ``FILES``, byte for byte:
the Liquid templates of backend/templates/ that a proxy host's config is made of, and the
nginx files of NPM's image those templates include (its nginx.conf, conf.d/include/). They are
NPM's own (MIT licence: ``<tag>/LICENSE``, transcribed with them), kept as fixtures so that the
tests render what NPM renders (tests/proxies/npm_render.js, with the liquidjs NPM's backend
pins) and load it into a real nginx; the repository is not needed to run them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TAGS = ("v2.12.6",)
TEMPLATES = (
    "proxy_host",
    "_location",
    "_access",
    "_assets",
    "_certificates",
    "_exploits",
    "_forced_ssl",
    "_header_comment",
    "_hsts",
    "_hsts_map",
    "_listen",
)
INCLUDES = (
    "assets",
    "block-exploits",
    "force-ssl",
    "ip_ranges",
    "letsencrypt-acme-challenge",
    "log",
    "proxy",
    "ssl-cache",
    "ssl-ciphers",
)
FILES = (
    "LICENSE",
    *(f"backend/templates/{name}.conf" for name in TEMPLATES),
    "docker/rootfs/etc/nginx/nginx.conf",
    *(f"docker/rootfs/etc/nginx/conf.d/include/{name}.conf" for name in INCLUDES),
)
HERE = Path(__file__).resolve().parent


def main(git_dir: str) -> None:
    for tag in TAGS:
        for path in FILES:
            data = subprocess.run(
                ["git", f"--git-dir={git_dir}", "show", f"{tag}:{path}"],
                check=True,
                capture_output=True,
            ).stdout
            target = HERE / tag / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


if __name__ == "__main__":
    main(sys.argv[1])
