"""docker-container-no-host-namespace, through the pack process and the analyzer protocol."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess

from .conftest import (
    PACK_DIR,
    UNKNOWN,
    check,
    container,
    diagnostics,
    not_run_names,
    not_run_prefix,
    resource,
    violating_names,
)

POLICY = "docker-container-no-host-namespace"
DESCRIPTION = (
    "Docker containers never share the host's network, PID, IPC or user namespace, except "
    "images in `hostNamespaceImages`."
)
LIVEKIT = "livekit/livekit-server:v1.8.0"


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def not_run(path: str) -> tuple[str, str, str]:
    return (
        POLICY,
        "advisory",
        not_run_prefix(POLICY) + f"string value at {path} can't be known during preview",
    )


def test_compliant_container_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert check(pack, container("db")) == []


def test_own_namespaces_and_allowed_images_pass(pack: PolicyPackProcess) -> None:
    checked = [
        container("bridge", networkMode="bridge", pidMode="", ipcMode="private"),
        container("sidecar", networkMode="container:db", pidMode="container:db"),
        container("upper_case_is_no_host_mode", networkMode="HOST"),
        container("livekit", image=LIVEKIT, networkMode="host"),
        container(
            "livekit_registry",
            image="docker.io/livekit/livekit-server@sha256:" + "a" * 64,
            networkMode="host",
        ),
        # The allow-list exempts the image from every mode, as configured.
        container("livekit_all", image=LIVEKIT, networkMode="host", pidMode="host"),
    ]
    assert check(pack, *checked) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"networkMode": "host"},
            "`networkMode` is host; image postgres:16.4 is not in `hostNamespaceImages`.",
            id="network",
        ),
        pytest.param(
            {"pidMode": "host"},
            "`pidMode` is host; image postgres:16.4 is not in `hostNamespaceImages`.",
            id="pid",
        ),
        pytest.param(
            {"ipcMode": "host"},
            "`ipcMode` is host; image postgres:16.4 is not in `hostNamespaceImages`.",
            id="ipc",
        ),
        pytest.param(
            {"usernsMode": "host"},
            "`usernsMode` is host; image postgres:16.4 is not in `hostNamespaceImages`.",
            id="userns",
        ),
        pytest.param(
            {"networkMode": "host", "image": "livekit/egress:v1.8.0"},
            "`networkMode` is host; image livekit/egress:v1.8.0 is not in `hostNamespaceImages`.",
            id="other-image-of-the-same-vendor",
        ),
    ],
)
def test_each_host_namespace_is_one_violation(
    pack: PolicyPackProcess, changes: dict[str, Any], message: str
) -> None:
    assert diagnostics(check(pack, container("app", **changes))) == [violation(message)]


def test_every_host_namespace_is_reported_in_order(pack: PolicyPackProcess) -> None:
    mutated = container(
        "app", usernsMode="host", ipcMode="host", pidMode="host", networkMode="host"
    )
    assert diagnostics(check(pack, mutated)) == [
        violation(f"`{mode}` is host; image postgres:16.4 is not in `hostNamespaceImages`.")
        for mode in ("networkMode", "pidMode", "ipcMode", "usernsMode")
    ]


def test_violation_before_an_unknown_value_is_kept(pack: PolicyPackProcess) -> None:
    mutated = container("app", networkMode="host", pidMode=UNKNOWN)
    assert diagnostics(check(pack, mutated)) == [
        violation("`networkMode` is host; image postgres:16.4 is not in `hostNamespaceImages`."),
        not_run(".pidMode"),
    ]


def test_container_without_image_is_not_allowed(pack: PolicyPackProcess) -> None:
    mutated = container("app", networkMode="host", image=None)
    mine = [d for d in diagnostics(check(pack, mutated)) if d[0] == POLICY]
    assert mine == [
        violation("`networkMode` is host; image (none) is not in `hostNamespaceImages`.")
    ]


def test_unknown_image_with_a_host_mode_is_a_not_run_advisory(pack: PolicyPackProcess) -> None:
    mutated = container("app", networkMode="host", image=UNKNOWN)
    # Other image rules defer too; this one reads the image only because of the host mode.
    mine = [d for d in diagnostics(check(pack, mutated)) if d[0] == POLICY]
    assert mine == [not_run(".image")]


def test_configured_images_replace_the_default(unconfigured_pack: PolicyPackProcess) -> None:
    livekit = container("livekit", image=LIVEKIT, networkMode="host")
    coturn = container("coturn", image="coturn/coturn:4.6.2", networkMode="host")
    assert [v.urn for v in check(unconfigured_pack, livekit, coturn)] == [coturn.urn]
    unconfigured_pack.configure({POLICY: {"hostNamespaceImages": ["coturn/coturn"]}})
    assert diagnostics(check(unconfigured_pack, livekit, coturn)) == [
        violation(
            "`networkMode` is host; image livekit/livekit-server:v1.8.0 is not in "
            "`hostNamespaceImages`."
        )
    ]
    unconfigured_pack.configure({POLICY: {"hostNamespaceImages": []}})
    assert [v.urn for v in check(unconfigured_pack, livekit, coturn)] == [livekit.urn, coturn.urn]


def test_shipped_config_is_the_default(unconfigured_pack: PolicyPackProcess) -> None:
    shipped = json.loads((PACK_DIR / "policy-config.json").read_text())
    assert shipped[POLICY] == {"hostNamespaceImages": ["livekit/livekit-server"]}
    unconfigured_pack.configure({POLICY: shipped[POLICY]})
    checked = [
        container("livekit", image=LIVEKIT, networkMode="host"),
        container("app", networkMode="host"),
    ]
    assert [v.urn for v in check(unconfigured_pack, *checked)] == [checked[1].urn]


FIXTURES = [
    container("pass_compliant"),
    container("pass_bridge", networkMode="bridge"),
    container("pass_container_network", networkMode="container:db"),
    container("pass_livekit", image=LIVEKIT, networkMode="host"),
    # `image` is read only once a mode is host: an unknown image alone defers nothing.
    container("pass_unknown_image", image=UNKNOWN, networkMode="bridge"),
    resource("docker:index/image:Image", "pass_not_a_container", {"networkMode": "host"}),
    container("fail_network", networkMode="host"),
    container("fail_pid", pidMode="host"),
    container("fail_ipc", ipcMode="host"),
    container("fail_userns", usernsMode="host"),
    container("unknown_network", networkMode=UNKNOWN),
    container("unknown_userns", usernsMode=UNKNOWN),
    container("unknown_image", image=UNKNOWN, networkMode="host"),
]


def test_fixture_set(pack: PolicyPackProcess) -> None:
    violations = check(pack, *FIXTURES)
    names = {r.name for r in FIXTURES}
    assert violating_names(violations, POLICY) == {n for n in names if n.startswith("fail_")}
    assert not_run_names(violations, POLICY) == {n for n in names if n.startswith("unknown_")}
    # one diagnostic each
    assert len([v for v in violations if v.policy == POLICY]) == len(
        [n for n in names if not n.startswith("pass_")]
    )
