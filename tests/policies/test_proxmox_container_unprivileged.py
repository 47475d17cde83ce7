"""proxmox-container-unprivileged, through the pack process and the analyzer protocol."""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess
from components.plan.recording import RecordedResource

from .conftest import (
    UNKNOWN,
    container,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "proxmox-container-unprivileged"
DESCRIPTION = "Proxmox LXC containers are unprivileged (`unprivileged: true`)."
NESTING_POLICY = "proxmox-container-nesting-unprivileged-only"
NESTING_DESCRIPTION = (
    "Proxmox LXC containers enable nesting (`features.nesting`) only when they are unprivileged."
)
LXC = "proxmoxve:index/containerLegacy:ContainerLegacy"

# A Proxmox LXC container that every policy of the pack accepts: the prod stack's proxy
# container as the engine sends it (unprivileged, nesting and keyctl on, on the NAT bridge).
COMPLIANT_LXC: dict[str, Any] = {
    "nodeName": "ax102",
    "vmId": 102,
    "description": "Nginx Proxy Manager - web gateway and TLS (Let's Encrypt)",
    "tags": ["selfhosted", "stateless"],
    "unprivileged": True,
    "features": {"nesting": True, "keyctl": True},
    "protection": False,
    "started": True,
    "startOnBoot": True,
    "startup": {"order": 1},
    "cpu": {"cores": 2},
    "memory": {"dedicated": 2048, "swap": 0},
    "disk": {"datastoreId": "local", "size": 16},
    "operatingSystem": {"type": "debian", "templateFileId": "local:vztmpl/debian-12.tar.zst"},
    "networkInterfaces": [{"name": "eth0", "bridge": "vmbr1"}],
    "initialization": {
        "hostname": "proxy",
        "ipConfigs": [{"ipv4": {"address": "10.0.0.2/24", "gateway": "10.0.0.1"}}],
        "dns": {"servers": ["1.1.1.1", "9.9.9.9"]},
        "userAccount": {"keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE ops@example.com"]},
    },
}


def lxc(name: str, **changes: Any) -> RecordedResource:
    """COMPLIANT_LXC with top-level ``changes`` (a value of None removes the key)."""
    properties = {**COMPLIANT_LXC, **changes}
    return resource(LXC, name, {k: v for k, v in properties.items() if v is not None})


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def nesting_violation(message: str) -> tuple[str, str, str]:
    return (NESTING_POLICY, "mandatory", f"{NESTING_DESCRIPTION}\n{message}")


NOT_SET = "`unprivileged` is not set; the provider then creates a privileged container."
NO_NESTING = {"keyctl": True}


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check([lxc("proxy")]) == []


def test_compliant_container_without_features(pack: PolicyPackProcess) -> None:
    assert pack.check([lxc("proxy", features=None)]) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"unprivileged": False, "features": NO_NESTING},
            [violation("`unprivileged` is false.")],
            id="privileged-without-nesting",
        ),
        pytest.param(
            {"unprivileged": None, "features": NO_NESTING},
            [violation(NOT_SET)],
            id="unprivileged-missing-is-the-privileged-default",
        ),
        pytest.param(
            {"unprivileged": None, "features": None},
            [violation(NOT_SET)],
            id="unprivileged-and-features-missing",
        ),
        pytest.param(
            {"unprivileged": "yes", "features": NO_NESTING},
            [violation("`unprivileged` is 'yes', not true.")],
            id="not-a-boolean",
        ),
        pytest.param(
            {"unprivileged": False},
            [
                nesting_violation("`features.nesting` is true while `unprivileged` is false."),
                violation("`unprivileged` is false."),
            ],
            id="privileged-with-nesting-violates-both-rules",
        ),
        pytest.param(
            {"unprivileged": None},
            [
                nesting_violation(
                    "`features.nesting` is true while `unprivileged` is not set (privileged)."
                ),
                violation(NOT_SET),
            ],
            id="unprivileged-missing-with-nesting-violates-both-rules",
        ),
    ],
)
def test_each_violation_kind(
    pack: PolicyPackProcess, changes: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    assert diagnostics(pack.check([lxc("web", **changes)])) == expected


def test_violation_carries_the_resource_urn(pack: PolicyPackProcess) -> None:
    web = lxc("web", unprivileged=False, features=NO_NESTING)
    assert [v.urn for v in pack.check([lxc("proxy"), web])] == [web.urn]


def test_unknown_unprivileged_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    message = "string value at .unprivileged can't be known during preview"
    assert diagnostics(pack.check([lxc("web", unprivileged=UNKNOWN, features=NO_NESTING)])) == [
        (POLICY, "advisory", not_run_prefix(POLICY) + message)
    ]


def test_unknown_unprivileged_with_nesting_defers_both_rules(pack: PolicyPackProcess) -> None:
    message = "string value at .unprivileged can't be known during preview"
    assert diagnostics(pack.check([lxc("web", unprivileged=UNKNOWN)])) == [
        (NESTING_POLICY, "advisory", not_run_prefix(NESTING_POLICY) + message),
        (POLICY, "advisory", not_run_prefix(POLICY) + message),
    ]


def test_other_properties_are_not_read(pack: PolicyPackProcess) -> None:
    """Unknown values elsewhere (a computed template id, features) defer nothing here."""
    found = pack.check(
        [
            lxc(
                "web",
                features={"nesting": False, "keyctl": UNKNOWN},
                operatingSystem={"type": "debian", "templateFileId": UNKNOWN},
            )
        ]
    )
    assert found == []


FIXTURES = [
    lxc("pass_compliant"),
    lxc("pass_no_features", features=None),
    lxc("pass_nesting_off", features={"nesting": False}),
    lxc("pass_unknown_features", features=UNKNOWN),
    resource(LXC, "pass_minimal", {"nodeName": "ax102", "unprivileged": True}),
    resource("proxmoxve:index/vmLegacy:VmLegacy", "pass_vm_has_no_such_property", {}),
    container("pass_not_proxmox", image="nginx:1.27.2", volumes=None, ports=None),
    lxc("fail_privileged", unprivileged=False, features=NO_NESTING),
    lxc("fail_missing", unprivileged=None, features=None),
    lxc("fail_privileged_nesting", unprivileged=False),
    resource(LXC, "fail_bare", {"nodeName": "ax102"}),
    lxc("unknown_unprivileged", unprivileged=UNKNOWN, features=NO_NESTING),
    lxc("unknown_unprivileged_no_features", unprivileged=UNKNOWN, features=None),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    found = pack.check(FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(found, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(found, POLICY) == {n for n in names if n.startswith("unknown_")}
    # Only the nesting rule also speaks, about the privileged container with nesting, and it
    # defers on the features that are unknown.
    assert {(v.policy, v.urn.rpartition("::")[2]) for v in found if v.policy != POLICY} == {
        (NESTING_POLICY, "fail_privileged_nesting"),
        (NESTING_POLICY, "pass_unknown_features"),
    }
