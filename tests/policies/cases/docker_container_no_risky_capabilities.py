"""docker-container-no-risky-capabilities (CIS 5.3); Egress's SYS_ADMIN as a declared
exception."""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import container, resource
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
RISKY = (
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "SYS_BOOT",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
)


def adding(name: str, adds: Any, drops: Any = ("ALL",), **changes: Any) -> Any:
    capabilities: dict[str, Any] = {"adds": adds if adds is UNKNOWN else list(adds)}
    capabilities["drops"] = drops if drops is UNKNOWN else list(drops)
    return container(name, capabilities=capabilities, **changes)


def has(shown: str) -> str:
    return f"`capabilities.adds` has {shown}."


CASES = RuleCases(
    cases=[
        passes(container("pass_compliant")),
        passes(container("pass_no_capabilities", capabilities=None)),
        passes(adding("pass_narrow", ["NET_BIND_SERVICE", "CAP_CHOWN", "setuid", "NET_RAW"])),
        passes(adding("pass_empty", [])),
        # Only `adds` is read: unknown drops defer nothing.
        passes(adding("pass_unknown_drops", ["CHOWN"], drops=UNKNOWN)),
        passes(
            resource(
                "docker:index/image:Image",
                "pass_not_a_container",
                {"capabilities": {"adds": ["ALL"]}},
            )
        ),
        *(fails(adding(f"fail_{c.lower()}", ["NET_BIND_SERVICE", c]), has(c)) for c in RISKY),
        fails(adding("fail_prefix", ["CAP_SYS_ADMIN"]), has("CAP_SYS_ADMIN (SYS_ADMIN)")),
        fails(adding("fail_lower", ["sys_ptrace"]), has("sys_ptrace (SYS_PTRACE)")),
        fails(adding("fail_lower_prefix", ["cap_bpf"]), has("cap_bpf (BPF)")),
        fails(adding("fail_spaces", [" Net_Admin "]), has(" Net_Admin  (NET_ADMIN)")),
        fails(
            adding(
                "fail_once_in_order", ["SYS_PTRACE", "CHOWN", "SYS_ADMIN", "cap_sys_ptrace", "ALL"]
            ),
            has("SYS_PTRACE"),
            has("SYS_ADMIN"),
            has("ALL"),
        ),
        fails(
            adding("fail_drop_does_not_cancel", ["SYS_ADMIN"], drops=["ALL", "SYS_ADMIN"]),
            has("SYS_ADMIN"),
        ),
        excepted(
            adding(
                "except_egress",
                ["SYS_ADMIN"],
                image="livekit/egress:v1.9.0",
                labels=[except_label(POLICY, "Chrome's sandbox in Egress needs SYS_ADMIN")],
            ),
            "Chrome's sandbox in Egress needs SYS_ADMIN",
            label_source(POLICY),
            has("SYS_ADMIN"),
        ),
        unknown(container("unknown_capabilities", capabilities=UNKNOWN), ".capabilities"),
        unknown(adding("unknown_adds", UNKNOWN), ".capabilities.adds"),
        unknown(
            adding("unknown_after_violation", ["SYS_ADMIN", UNKNOWN]),
            ".capabilities.adds.1",
            has("SYS_ADMIN"),
        ),
    ],
)
