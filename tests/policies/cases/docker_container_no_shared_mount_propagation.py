"""docker-container-no-shared-mount-propagation (CIS 5.19)."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import container
from ..harness import RuleCases, fails, passes, policy_of, unknown

POLICY = policy_of(__name__)


def bind(name: str, propagation: Any) -> Any:
    return container(
        name,
        mounts=[
            {
                "type": "bind",
                "source": "/srv/media",
                "target": "/media",
                "bindOptions": {"propagation": propagation},
            }
        ],
    )


CASES = RuleCases(
    cases=[
        passes(container("pass_compliant")),
        passes(bind("pass_rprivate", "rprivate")),
        passes(bind("pass_rslave", "rslave")),
        passes(
            container(
                "pass_no_bind_options", mounts=[{"type": "bind", "source": "/srv", "target": "/s"}]
            )
        ),
        fails(bind("fail_shared", "shared"), "mounts[0] (/srv/media) has propagation shared."),
        fails(
            bind("fail_rshared_case", "RShared"), "mounts[0] (/srv/media) has propagation RShared."
        ),
        unknown(bind("unknown_propagation", UNKNOWN), ".mounts.0.bindOptions.propagation"),
    ],
)
