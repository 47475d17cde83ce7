"""docker-container-healthcheck (CIS 5.26)."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import container, resource
from ..harness import RuleCases, fails, passes, unknown

NO_PROBE = "`healthcheck.tests` does not start with CMD or CMD-SHELL, so Docker runs no check."


def healthcheck(*tests: Any) -> dict[str, Any]:
    return {"tests": list(tests), "interval": "10s"}


CASES = RuleCases(
    cases=[
        passes(container("pass_baseline")),
        passes(container("pass_cmd", healthcheck=healthcheck("CMD", "curl", "-f", "http://l/"))),
        passes(container("pass_cmd_shell", healthcheck=healthcheck("CMD-SHELL", "pg_isready"))),
        passes(container("pass_unknown_command", healthcheck=healthcheck("CMD-SHELL", UNKNOWN))),
        passes(resource("docker:index/image:Image", "pass_not_a_container", {"name": "app"})),
        fails(container("fail_missing", healthcheck=None), "`healthcheck` is not set."),
        fails(
            container("fail_tests_missing", healthcheck={"interval": "10s"}),
            "`healthcheck.tests` is empty.",
        ),
        fails(container("fail_empty", healthcheck=healthcheck()), "`healthcheck.tests` is empty."),
        fails(
            container("fail_none", healthcheck=healthcheck("NONE")),
            "`healthcheck.tests` is NONE, which disables the health check.",
        ),
        # The message never shows the command (it may carry a password).
        fails(
            container("fail_bare_command", healthcheck=healthcheck("redis-cli -a hunter2 ping")),
            NO_PROBE,
        ),
        fails(container("fail_lower_case", healthcheck=healthcheck("cmd", "true")), NO_PROBE),
        fails(
            container("fail_cmd_alone", healthcheck=healthcheck("CMD")),
            "`healthcheck.tests` has no command after CMD.",
        ),
        fails(
            container("fail_cmd_shell_alone", healthcheck=healthcheck("CMD-SHELL")),
            "`healthcheck.tests` has no command after CMD-SHELL.",
        ),
        unknown(container("unknown_healthcheck", healthcheck=UNKNOWN), ".healthcheck"),
        unknown(container("unknown_tests", healthcheck={"tests": UNKNOWN}), ".healthcheck.tests"),
        unknown(
            container("unknown_type", healthcheck=healthcheck(UNKNOWN, "pg_isready")),
            ".healthcheck.tests.0",
        ),
    ],
)
