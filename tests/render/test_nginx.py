"""The Nginx renderers' guards and the TLS switch script, checked by real tools where one
exists (shellcheck; the served config is proven in tests/network/test_nginx_proxy.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import bcrypt
import crossplane
import pytest

from components.render.input_errors import RenderInputError
from components.render.nginx import (
    NginxLocation,
    NginxSettings,
    NginxSite,
    http_conf,
    tls_site,
    users_file,
    users_salt,
)
from components.render.nginx_acme import TlsSwitchSettings, tls_switch_script
from tests.tools import require

SITE = NginxSite("app.example.com", (NginxLocation("/", "web", 3000),))


def test_bad_settings_are_reported_together() -> None:
    settings = NginxSettings(
        sites=(
            NginxSite(
                "Bad_Host",
                (
                    NginxLocation("/api", "api", 0),
                    NginxLocation("/api/", "api", 8000, allow_from=("10.0.0.1/8",)),
                    NginxLocation("/x", "a b", 80, users_file="../etc/passwd"),
                ),
            ),
        ),
        resolver="dns.example",
        https_port=80,
    )
    with pytest.raises(RenderInputError) as caught:
        http_conf(settings)
    assert caught.value.problems == (
        "sites[0].host='Bad_Host': a DNS name",
        "sites[0].locations[0].path='/api': one location per path of a host",
        "sites[0].locations[0].upstream_port=0: a port number 1-65535",
        "sites[0].locations[1].path='/api/': one location per path of a host",
        "sites[0].locations[1].allow_from='10.0.0.1/8': a CIDR",
        "sites[0].locations[2].upstream_host='a b': a network alias or an IPv4 address",
        "sites[0].locations[2].users_file='../etc/passwd': a file name (letters, digits, ._-)",
        "resolver='dns.example': an IP",
        "https_port=80: a port other than http_port (80)",
    )


def test_the_tls_switch_is_shellcheck_clean(tmp_path: Path) -> None:
    require("shellcheck")
    script = tmp_path / "switch.sh"
    script.write_text(tls_switch_script(TlsSwitchSettings(NginxSettings(sites=(SITE,)))))
    checked = subprocess.run(
        ["shellcheck", "-s", "sh", str(script)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout


def test_the_salt_is_a_bcrypt_salt_of_the_user_and_password() -> None:
    salt = users_salt("admin", "secret one")
    assert salt == users_salt("admin", "secret one")
    assert salt != users_salt("admin", "secret two")
    assert salt != users_salt("other", "secret one")
    assert salt.startswith(b"$2b$10$")
    assert len(salt) == 29  # "$2b$10$" and 22 characters of bcrypt's base64
    hashed = bcrypt.hashpw(b"secret one", salt)
    assert bcrypt.checkpw(b"secret one", hashed)


def test_a_users_file_refuses_what_bcrypt_or_basic_auth_cannot_carry() -> None:
    with pytest.raises(RenderInputError) as caught:
        users_file((("a:b", "x"), ("admin", ""), ("long", "x" * 73)))
    assert caught.value.problems == (
        "username='a:b': letters, digits, ._@- (no ':')",
        "password of admin='': a non-empty password",
        "password of long='(secret)': at most 72 bytes (bcrypt ignores the rest)",
    )


def _connect_timeouts(text: str, tmp_path: Path) -> dict[str, list[str]]:
    """Each level's proxy_connect_timeout and proxy_next_upstream as nginx's parser reads them:
    the file's top (the http level) as "", each location by its arguments."""
    path = tmp_path / "site.conf"
    path.write_text(text)
    parsed = crossplane.parse(str(path), single=True, check_ctx=False)["config"][0]["parsed"]
    wanted = ("proxy_connect_timeout", "proxy_next_upstream")
    levels: dict[str, list[str]] = {}

    def walk(block: list[dict[str, Any]], where: str) -> None:
        for d in block:
            args = [str(a) for a in d.get("args", [])]
            if d["directive"] in wanted:
                levels.setdefault(where, []).append(" ".join([d["directive"], *args]))
            walk(d.get("block", []), " ".join(args) if d["directive"] == "location" else where)

    walk(parsed, "")
    return levels


def test_the_swap_retry_is_set_where_the_upstream_is_an_alias(tmp_path: Path) -> None:
    """README "Redeploys without downtime": the 1 s connect and next-upstream for a container's
    alias on the proxy's machine; an address on another machine keeps nginx's 60 s."""
    site = NginxSite(
        "app.example.com",
        (NginxLocation("/", "web", 3000), NginxLocation("/legacy", "10.0.0.20", 8080)),
    )
    settings = NginxSettings((site,))
    retry = ["proxy_connect_timeout 1s", "proxy_next_upstream error timeout"]
    assert _connect_timeouts(http_conf(settings), tmp_path) == {}
    assert _connect_timeouts(tls_site(settings, site), tmp_path) == {"/": retry}
