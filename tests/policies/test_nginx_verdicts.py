"""The nginx cases of proxy-route-admin-panel-authenticated, served by Debian's real nginx: a
request without credentials from 127.0.0.1 (outside every network the cases allow) is refused
(401 or 403) exactly where the case says the location authenticates, and passed on toward the
upstream (502 here: nothing resolves the upstream's name) where the case says it is open. So
the cases' verdicts are what nginx does with those configs, not what the rule computes."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest

from components.plan.recording import RecordedResource

from .cases.proxy_route_admin_panel_authenticated import HTPASSWD, MAIN, SITE, STACKS, USERS_FILE
from .conftest import CONTAINER
from .harness import StackCase
from .real_nginx import free_port, get, serving

REFUSED = {401, 403}
OPEN = 502  # passed every access check, then failed to reach the (unresolvable) upstream


def _uploads(resources: list[RecordedResource]) -> dict[str, str]:
    proxies = [r for r in resources if r.type == CONTAINER and r.name == "nginx-container"]
    return {
        str(u["file"]): str(u["content"])
        for p in proxies
        for u in p.inputs.get("uploads", [])
        if "content" in u
    }


def _checked(case: StackCase) -> bool:
    """Cases nginx can serve on its own: one site at SITE with a variable upstream (resolved
    per request, so nginx starts without the name), no auth_request (it needs a second
    location), parseable, every file it includes uploaded (nginx refuses to start without),
    and no nginx.conf of its own (the test writes the one that includes the site)."""
    uploads = _uploads(list(case.resources))
    text = uploads.get(SITE)
    return (
        text is not None
        and "$upstream_0" in text
        and "auth_request" not in text
        and not case.name.startswith("unknown_")
        and MAIN not in uploads
        and all(
            posixpath.join("/etc/nginx", name) in uploads
            for name in re.findall(r"include\s+([^;\s]+);", text)
        )
    )


CASES = [case for case in STACKS if _checked(case)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real_nginx_agrees_with_the_case(case: StackCase, tmp_path: Path) -> None:
    port = free_port()
    users = tmp_path / "users"
    users.write_text(HTPASSWD)
    # The uploads laid out as in the container, /etc/nginx moved under tmp_path.
    root = tmp_path / "etc" / "nginx"
    for path, text in _uploads(list(case.resources)).items():
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            text.replace("listen 80;", f"listen 127.0.0.1:{port};")
            .replace(USERS_FILE, str(users))
            .replace("/etc/nginx/", f"{root}/")
        )
    with serving(tmp_path, tmp_path / SITE.lstrip("/")) as stderr:
        status, _ = get(port, "/panel/", "admin.example.com")
    expected = REFUSED if case.name.startswith("pass_") else {OPEN}
    assert status in expected, f"{case.name}: nginx answered {status}; {stderr.read_text()[-500:]}"
