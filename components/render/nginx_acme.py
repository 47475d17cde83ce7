"""The nginx container's TLS switch: ``/docker-entrypoint.d/40-selfhosted-tls.sh``.

Let's Encrypt in two phases, in the nginx container itself, with the certificates written by an
ACME client in its own container (certbot in the stacks: ``certonly --webroot`` into the shared
webroot, certificates under /etc/letsencrypt):

1. at start (the official image runs every executable /docker-entrypoint.d/*.sh before it
   execs nginx: nginxinc/docker-nginx stable/debian/docker-entrypoint.sh:17-36), each host's
   phase-2 site (TLS) is copied into ``active/`` when its certificate and key exist, else its
   phase-1 site (HTTP with the ACME webroot); a first ``up`` with no certificate serves the
   challenges, the tenth serves TLS at once;
2. a watcher started in the background then looks every ``interval`` seconds at the
   certificates (which exist, and a checksum of each chain); when that changes (a first
   certificate, a renewal) it stages the new ``active/``, runs ``nginx -t`` and reloads only if
   the test passes. A failed test puts the previous ``active/`` back and reloads nothing: the
   running config keeps serving, and the next look tries again.

``stage`` is the start without the watcher and ``check`` one look of the watcher (what the
tests drive; an operator can run ``check`` with ``docker exec``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .input_errors import check, raise_if
from .nginx import NginxSettings, _check

SCRIPT_PATH = "/docker-entrypoint.d/40-selfhosted-tls.sh"
_ARG = re.compile(r"^[A-Za-z0-9/._=:,@%+-]+$")


@dataclass(frozen=True)
class TlsSwitchSettings:
    nginx: NginxSettings
    interval_seconds: int = 300
    # How nginx is run: the image's `nginx`; the tests add -p/-c for their own prefix.
    nginx_command: tuple[str, ...] = ("nginx",)


def tls_switch_script(settings: TlsSwitchSettings) -> str:
    """The POSIX sh script; shellcheck-clean (tests/render/test_nginx.py)."""
    _check(settings.nginx)
    problems: list[str] = []
    check(
        problems,
        10 <= settings.interval_seconds <= 86400,
        "interval_seconds",
        settings.interval_seconds,
        "10-86400",
    )
    check(
        problems,
        bool(settings.nginx_command) and all(_ARG.match(arg) for arg in settings.nginx_command),
        "nginx_command",
        settings.nginx_command,
        "nginx and its arguments",
    )
    raise_if("nginx TLS switch", problems)
    config = settings.nginx.config_dir
    hosts = " ".join(site.host for site in settings.nginx.sites)
    command = " ".join(shlex.quote(arg) for arg in settings.nginx_command)
    return f"""#!/bin/sh
# Rendered by components/render/nginx_acme.py; do not edit. Each host's TLS site once its
# certificate exists, else its ACME site; `nginx -t` before every reload.
set -u
config={shlex.quote(config)}
live={shlex.quote(settings.nginx.letsencrypt_live)}
hosts={shlex.quote(hosts)}
interval={settings.interval_seconds}

run_nginx() {{
    {command} "$@"
}}

log() {{
    echo "selfhosted-tls: $*" >&2
}}

# One line per host: its name and the checksum of its chain, or "none" without a certificate.
certificates() {{
    for host in $hosts; do
        if [ -s "$live/$host/fullchain.pem" ] && [ -s "$live/$host/privkey.pem" ]; then
            echo "$host $(cksum < "$live/$host/fullchain.pem")"
        else
            echo "$host none"
        fi
    done
}}

# Stage active/ for the given certificate lines and test it; on a failed test put the previous
# active/ back (the running nginx never read the staged one).
activate() {{
    rm -rf "$config/active.next" "$config/active.prev"
    mkdir -p "$config/active.next"
    echo "$1" | while read -r host state; do
        phase=tls
        [ "$state" = none ] && phase=acme
        cp "$config/sites/$host.$phase.conf" "$config/active.next/$host.conf"
    done
    if [ -d "$config/active" ]; then
        mv "$config/active" "$config/active.prev"
    fi
    mv "$config/active.next" "$config/active"
    if run_nginx -t -q; then
        rm -rf "$config/active.prev"
        return 0
    fi
    log "nginx -t failed: keeping the running config"
    if [ -d "$config/active.prev" ]; then
        rm -rf "$config/active"
        mv "$config/active.prev" "$config/active"
    fi
    return 1
}}

# One look: when the certificates changed since the last applied state, activate and reload.
look() {{
    now=$(certificates)
    [ "$now" = "$(cat "$config/state" 2>/dev/null)" ] && return 0
    if activate "$now" && run_nginx -s reload; then
        echo "$now" > "$config/state"
        log "reloaded: $(echo "$now" | tr '\\n' ' ')"
        return 0
    fi
    return 1
}}

mode=${{1:-start}}
case "$mode" in
    check)
        look
        ;;
    stage | start)
        now=$(certificates)
        # nginx is not running yet: stage, and let its start report a config that fails.
        activate "$now" || log "starting with a config that fails nginx -t"
        echo "$now" > "$config/state"
        if [ "$mode" = start ]; then
            (while sleep "$interval"; do look; done) &
        fi
        ;;
    *)
        log "usage: $0 [start|stage|check]"
        exit 2
        ;;
esac
"""
