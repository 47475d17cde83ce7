"""proxmox-container-unprivileged; exceptions for resources without labels come from the
rule's policy config, by resource name."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import LXC, container, lxc, resource
from ..harness import RuleCases, excepted, fails, passes, policy_of, unknown

POLICY = policy_of(__name__)
REASON = "legacy NFS server until the storage moves to the host"
NOT_SET = "`unprivileged` is not set; the provider then creates a privileged container."
NO_NESTING = {"keyctl": True}

CASES = RuleCases(
    config={"exceptions": {"except_nfs": REASON, "fail_empty_reason": ""}},
    cases=[
        passes(lxc("pass_compliant")),
        passes(lxc("pass_no_features", features=None)),
        passes(lxc("pass_nesting_off", features={"nesting": False})),
        passes(lxc("pass_unknown_features", features=UNKNOWN)),
        passes(resource(LXC, "pass_minimal", {"nodeName": "ax102", "unprivileged": True})),
        passes(resource("proxmoxve:index/vmLegacy:VmLegacy", "pass_vm_has_no_such_property", {})),
        passes(container("pass_not_proxmox", image="nginx:1.27.2", volumes=None, ports=None)),
        # Unknown values elsewhere (a computed template id) defer nothing here.
        passes(
            lxc(
                "pass_other_unknowns",
                features={"nesting": False, "keyctl": UNKNOWN},
                operatingSystem={"type": "debian", "templateFileId": UNKNOWN},
            )
        ),
        fails(
            lxc("fail_privileged", unprivileged=False, features=NO_NESTING),
            "`unprivileged` is false.",
        ),
        fails(lxc("fail_missing", unprivileged=None, features=None), NOT_SET),
        fails(lxc("fail_privileged_nesting", unprivileged=False), "`unprivileged` is false."),
        fails(
            lxc("fail_not_a_boolean", unprivileged="yes", features=NO_NESTING),
            "`unprivileged` is 'yes', not true.",
        ),
        fails(resource(LXC, "fail_bare", {"nodeName": "ax102"}), NOT_SET),
        excepted(
            lxc("except_nfs", unprivileged=False, features=NO_NESTING),
            REASON,
            f"policy config {POLICY}.exceptions",
            "`unprivileged` is false.",
        ),
        fails(
            lxc("fail_empty_reason", unprivileged=False, features=NO_NESTING),
            "`unprivileged` is false. The exception (policy config "
            f"{POLICY}.exceptions) gives no reason, so it does not apply.",
        ),
        # Labels are Docker's: a label-shaped property on another provider's resource is not
        # an exception.
        fails(
            lxc(
                "fail_label_on_non_docker",
                unprivileged=False,
                features=NO_NESTING,
                labels=[{"label": f"selfhosted.policy.except.{POLICY}", "value": "x"}],
            ),
            "`unprivileged` is false.",
        ),
        unknown(
            lxc("unknown_unprivileged", unprivileged=UNKNOWN, features=NO_NESTING),
            ".unprivileged",
        ),
        unknown(
            lxc("unknown_unprivileged_no_features", unprivileged=UNKNOWN, features=None),
            ".unprivileged",
        ),
    ],
)
