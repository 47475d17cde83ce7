"""docker-container-no-host-namespace: the five host modes; exceptions by label."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container
from ..harness import (
    RuleCases,
    except_label,
    excepted,
    fails,
    label_source,
    passes,
    policy_of,
    unknown,
)

POLICY = policy_of(__name__)

CASES = RuleCases(
    cases=[
        passes(container("pass_compliant")),
        passes(container("pass_bridge", networkMode="bridge", ipcMode="private")),
        passes(container("pass_other_container", pidMode="container:db")),
        passes(container("pass_case_differs", networkMode="HOST")),
        passes(container("pass_cgroupns_private", cgroupnsMode="private")),
        fails(container("fail_network", networkMode="host"), "`networkMode` is host."),
        fails(container("fail_pid", pidMode="host"), "`pidMode` is host."),
        fails(container("fail_ipc", ipcMode="host"), "`ipcMode` is host."),
        fails(container("fail_userns", usernsMode="host"), "`usernsMode` is host."),
        fails(container("fail_cgroupns", cgroupnsMode="host"), "`cgroupnsMode` is host."),
        fails(
            container("fail_all", networkMode="host", pidMode="host", cgroupnsMode="host"),
            "`networkMode` is host.",
            "`pidMode` is host.",
            "`cgroupnsMode` is host.",
        ),
        excepted(
            container(
                "except_livekit",
                image="livekit/livekit-server:v1.8.4",
                networkMode="host",
                labels=[
                    {"label": "selfhosted.service", "value": "livekit"},
                    except_label(POLICY, "UDP media range 50000-60000 needs host networking"),
                ],
            ),
            "UDP media range 50000-60000 needs host networking",
            label_source(POLICY),
            "`networkMode` is host.",
        ),
        # The exception names one rule: another rule's label does not except this one.
        fails(
            container(
                "fail_label_of_another_rule",
                networkMode="host",
                labels=[except_label("docker-container-not-privileged", "reason")],
            ),
            "`networkMode` is host.",
        ),
        unknown(container("unknown_mode", networkMode=UNKNOWN), ".networkMode"),
        unknown(
            container("unknown_label", networkMode="host", labels=[{"label": UNKNOWN}]),
            ".labels.0.label",
        ),
        unknown(
            container("unknown_after_violation", networkMode="host", pidMode=UNKNOWN),
            ".pidMode",
            "`networkMode` is host.",
        ),
    ],
)
