"""docker-container-no-host-device (CIS 5.17)."""

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
        passes(container("pass_empty", devices=[])),
        fails(
            container("fail_disk", devices=[{"hostPath": "/dev/sda"}]),
            "devices[0] gives the host device /dev/sda as /dev/sda (rwm).",
        ),
        fails(
            container(
                "fail_two",
                devices=[
                    {"hostPath": "/dev/kmsg", "containerPath": "/dev/kmsg", "permissions": "r"},
                    {"hostPath": "/dev/fuse", "containerPath": "/dev/fuse0"},
                ],
            ),
            "devices[0] gives the host device /dev/kmsg as /dev/kmsg (r).",
            "devices[1] gives the host device /dev/fuse as /dev/fuse0 (rwm).",
        ),
        excepted(
            container(
                "except_gpu",
                devices=[{"hostPath": "/dev/dri/renderD128", "permissions": "rw"}],
                labels=[except_label(POLICY, "hardware transcoding")],
            ),
            "hardware transcoding",
            label_source(POLICY),
            "devices[0] gives the host device /dev/dri/renderD128 as /dev/dri/renderD128 (rw).",
        ),
        unknown(container("unknown_devices", devices=UNKNOWN), ".devices"),
    ],
)
