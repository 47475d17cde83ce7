"""proxmox-container-unprivileged: exceptions for resources without labels come from the
rule's policy config, by resource name."""

from __future__ import annotations

from ..conftest import resource
from ..harness import RuleCases, excepted, fails, passes

POLICY = "proxmox-container-unprivileged"
LXC = "proxmoxve:index/containerLegacy:ContainerLegacy"
REASON = "legacy NFS server until the storage moves to the host"

CASES = RuleCases(
    policy=POLICY,
    level="mandatory",
    config={"exceptions": {"except_nfs": REASON, "fail_empty_reason": ""}},
    cases=[
        passes(resource(LXC, "pass_unprivileged", {"unprivileged": True})),
        fails(
            resource(LXC, "fail_privileged", {"unprivileged": False}), "`unprivileged` is false."
        ),
        excepted(
            resource(LXC, "except_nfs", {"unprivileged": False}),
            REASON,
            f"policy config {POLICY}.exceptions",
            "`unprivileged` is false.",
        ),
        fails(
            resource(LXC, "fail_empty_reason", {"unprivileged": False}),
            "`unprivileged` is false. The exception (policy config "
            f"{POLICY}.exceptions) gives no reason, so it does not apply.",
        ),
        # Labels are Docker's: a label-shaped property on another provider's resource is not
        # an exception.
        fails(
            resource(
                LXC,
                "fail_label_on_non_docker",
                {
                    "unprivileged": False,
                    "labels": [{"label": f"selfhosted.policy.except.{POLICY}", "value": "x"}],
                },
            ),
            "`unprivileged` is false.",
        ),
    ],
)
