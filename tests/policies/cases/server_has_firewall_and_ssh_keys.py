"""server-has-firewall-and-ssh-keys (a stack policy): whole stacks.

References between resources arrive as values and as property dependencies: a firewall built
with ``droplet_ids=[droplet.id.apply(int)]`` sends ``dropletIds`` = the id (unknown while the
droplet is not created, during preview) and records that ``dropletIds`` depends on the droplet.
Each case below is tested with known ids (resources that exist) and unknown ids (preview).
"""

from __future__ import annotations

from typing import Any

from components.plan.recording import UNKNOWN

from ..conftest import resource
from ..fixtures_cloud import (
    APP,
    APP_FIREWALL,
    BASELINE,
    DO_TAG,
    NODE,
    WORKER_ATTACHMENT,
    attachment,
    depends,
    do_firewall,
    droplet,
    hcloud_firewall,
    no_dependencies,
    server,
    swap,
    with_properties,
)
from ..harness import RuleCases, StackCase, stack_fails, stack_passes, stack_unknown


def no_keys(kind: str, name: str) -> tuple[str, str]:
    return name, f"{kind} {name} has no sshKeys."


def droplet_uncovered(name: str) -> tuple[str, str]:
    return (
        name,
        f"Droplet {name} is covered by no digitalocean.Firewall of the stack (by dropletIds or "
        "tags).",
    )


def server_uncovered(name: str) -> tuple[str, str]:
    return (
        name,
        f"Server {name} has no firewallIds, and no hcloud FirewallAttachment or Firewall "
        "applyTos of the stack selects it.",
    )


def on_baseline(*changed: Any) -> list[Any]:
    return swap(BASELINE, *changed)


# The cloud baseline with one thing changed; the whole pack's diagnostics are these.
VIOLATION_KINDS = [
    stack_passes("pass_baseline", BASELINE),
    stack_fails(
        "fail_droplet_keys_empty",
        on_baseline(with_properties(APP, sshKeys=[])),
        no_keys("Droplet", "app"),
    ),
    stack_fails(
        "fail_droplet_keys_missing",
        on_baseline(with_properties(APP, sshKeys=None)),
        no_keys("Droplet", "app"),
    ),
    stack_fails(
        "fail_droplet_without_firewall",
        on_baseline(no_dependencies(with_properties(APP_FIREWALL, dropletIds=None))),
        droplet_uncovered("app"),
    ),
    stack_fails(
        "fail_droplet_both_and_firewall_for_another_id",
        on_baseline(
            with_properties(APP, sshKeys=[]),
            no_dependencies(with_properties(APP_FIREWALL, dropletIds=[401234568])),
        ),
        no_keys("Droplet", "app"),
        droplet_uncovered("app"),
    ),
    stack_fails(
        "fail_server_keys",
        on_baseline(with_properties(NODE, sshKeys=[])),
        no_keys("Server", "node"),
    ),
    stack_fails(
        "fail_server_without_firewall_ids",
        on_baseline(no_dependencies(with_properties(NODE, firewallIds=None))),
        server_uncovered("node"),
    ),
    stack_fails(
        "fail_attachment_selector_does_not_select",
        on_baseline(with_properties(WORKER_ATTACHMENT, labelSelectors=["role=worker,env=staging"])),
        server_uncovered("worker"),
    ),
    # Each violation names the server in violation.
    stack_fails(
        "fail_violations_carry_the_server",
        on_baseline(
            with_properties(APP, sshKeys=[]),
            with_properties(WORKER_ATTACHMENT, labelSelectors=["role=db"]),
        ),
        no_keys("Droplet", "app"),
        server_uncovered("worker"),
    ),
    stack_unknown(
        "unknown_keys_in_the_baseline",
        on_baseline(with_properties(APP, sshKeys=UNKNOWN)),
        ".sshKeys",
    ),
    stack_unknown(
        "unknown_id_without_dependency_names_the_value",
        on_baseline(droplet("d", id=UNKNOWN), do_firewall("f", dropletIds=[UNKNOWN])),
        ".dropletIds.0",
    ),
]


def _droplet_stacks() -> list[StackCase]:
    """Small DigitalOcean stacks on top of the cloud baseline (droplet ``d``)."""
    tag = resource(DO_TAG, "t", {"name": UNKNOWN, "id": UNKNOWN})
    new = droplet("d", id=UNKNOWN)
    existing = droplet("d", id="402")
    other = droplet("o", id=UNKNOWN)
    for_other = depends(do_firewall("f", dropletIds=[UNKNOWN]), dropletIds=[other])
    uncovered = droplet_uncovered("d")
    return [
        stack_passes(
            "pass_droplet_new_by_dependency",
            on_baseline(new, depends(do_firewall("f", dropletIds=[UNKNOWN]), dropletIds=[new])),
        ),
        stack_passes(
            "pass_droplet_existing_by_dependency",
            on_baseline(
                existing, depends(do_firewall("f", dropletIds=[402]), dropletIds=[existing])
            ),
        ),
        stack_passes(
            "pass_droplet_existing_by_literal_id",
            on_baseline(existing, do_firewall("f", dropletIds=[402])),
        ),
        stack_passes(
            "pass_droplet_tag_name",
            on_baseline(droplet("d", tags=["edge"]), do_firewall("f", tags=["edge"])),
        ),
        stack_passes(
            "pass_droplet_same_tag_resource_unknown_names",
            on_baseline(
                tag,
                depends(droplet("d", id=UNKNOWN, tags=[UNKNOWN]), tags=[tag]),
                depends(do_firewall("f", tags=[UNKNOWN]), tags=[tag]),
            ),
        ),
        stack_passes(
            "pass_droplet_unknown_ids_of_others_but_tag",
            on_baseline(
                other,
                droplet("d", id=UNKNOWN, tags=["edge"]),
                with_properties(for_other, tags=["edge"]),
            ),
        ),
        stack_passes(
            "pass_droplet_key_ids_unknown",
            on_baseline(
                droplet("d", id="402", sshKeys=[UNKNOWN]), do_firewall("f", dropletIds=[402])
            ),
        ),
        stack_fails("fail_droplet_no_firewall", on_baseline(droplet("d")), uncovered),
        stack_fails(
            "fail_droplet_unknown_ids_of_another_droplet",
            on_baseline(other, new, for_other),
            uncovered,
        ),
        stack_fails(
            "fail_droplet_literal_other_id",
            on_baseline(existing, do_firewall("f", dropletIds=[403])),
            uncovered,
        ),
        stack_fails(
            "fail_droplet_new_against_literal_id",
            on_baseline(new, do_firewall("f", dropletIds=[402])),
            uncovered,
        ),
        stack_fails(
            "fail_droplet_tags_disjoint",
            on_baseline(droplet("d", tags=["a"]), do_firewall("f", tags=["b"])),
            uncovered,
        ),
        stack_fails(
            "fail_droplet_unknown_firewall_tag_untagged_droplet",
            on_baseline(tag, new, depends(do_firewall("f", tags=[UNKNOWN]), tags=[tag])),
            uncovered,
        ),
        stack_fails(
            "fail_droplet_no_keys",
            on_baseline(droplet("d", id="402", sshKeys=[]), do_firewall("f", dropletIds=[402])),
            no_keys("Droplet", "d"),
        ),
        stack_unknown(
            "unknown_droplet_keys",
            on_baseline(
                droplet("d", id="402", sshKeys=UNKNOWN), do_firewall("f", dropletIds=[402])
            ),
            ".sshKeys",
        ),
        stack_unknown(
            "unknown_droplet_ids_without_dependency",
            on_baseline(new, do_firewall("f", dropletIds=[UNKNOWN])),
            ".dropletIds.0",
        ),
        stack_unknown(
            "unknown_droplet_id_list_without_dependency",
            on_baseline(existing, do_firewall("f", dropletIds=UNKNOWN)),
            ".dropletIds",
        ),
        stack_unknown(
            "unknown_droplet_firewall_tag",
            on_baseline(
                tag,
                droplet("d", tags=["edge"]),
                depends(do_firewall("f", tags=[UNKNOWN]), tags=[tag]),
            ),
            ".tags.0",
        ),
        stack_unknown(
            "unknown_droplet_tags",
            on_baseline(droplet("d", tags=UNKNOWN), do_firewall("f", tags=["edge"])),
            ".tags",
        ),
    ]


def _server_stacks() -> list[StackCase]:
    """Small Hetzner Cloud stacks on top of the cloud baseline (server ``s``)."""
    new = server("s", id=UNKNOWN, labels={"role": "web"})
    existing = server("s", id="5003", labels={"role": "web"})
    other = server("o", id=UNKNOWN, firewallIds=[1001])
    uncovered = server_uncovered("s")
    return [
        stack_passes(
            "pass_server_firewall_ids_unknown_items",
            on_baseline(server("s", firewallIds=[UNKNOWN])),
        ),
        stack_passes(
            "pass_server_attachment_by_dependency",
            on_baseline(new, depends(attachment("a", serverIds=[UNKNOWN]), serverIds=[new])),
        ),
        stack_passes(
            "pass_server_attachment_literal_id",
            on_baseline(existing, attachment("a", serverIds=[5003])),
        ),
        stack_passes(
            "pass_server_attachment_selector",
            on_baseline(
                server("s", labels={"tier": "edge", "env": "staging"}),
                attachment("a", labelSelectors=["tier=edge,env in (prod, staging)"]),
            ),
        ),
        stack_passes(
            "pass_server_attachment_notin_selector",
            on_baseline(
                server("s", labels={"env": "prod"}),
                attachment("a", labelSelectors=["env notin (dev,test)"]),
            ),
        ),
        stack_passes(
            "pass_server_apply_to_by_dependency",
            on_baseline(
                new,
                depends(hcloud_firewall("fw", applyTos=[{"server": UNKNOWN}]), applyTos=[new]),
            ),
        ),
        stack_passes(
            "pass_server_apply_to_literal_id",
            on_baseline(existing, hcloud_firewall("fw", applyTos=[{"server": 5003}])),
        ),
        stack_passes(
            "pass_server_apply_to_label",
            on_baseline(
                server("s", labels={"role": "db"}),
                hcloud_firewall("fw", applyTos=[{"labelSelector": "role==db,!public"}]),
            ),
        ),
        stack_passes(
            "pass_server_unknown_firewall_ids_but_attachment",
            on_baseline(
                with_properties(new, firewallIds=UNKNOWN),
                depends(attachment("a", serverIds=[UNKNOWN]), serverIds=[new]),
            ),
        ),
        stack_fails("fail_server_no_firewall", on_baseline(server("s")), uncovered),
        stack_fails(
            "fail_server_firewall_ids_empty", on_baseline(server("s", firewallIds=[])), uncovered
        ),
        stack_fails(
            "fail_server_selector_mismatch",
            on_baseline(existing, attachment("a", labelSelectors=["role=db"])),
            uncovered,
        ),
        stack_fails(
            "fail_server_negated_selector",
            on_baseline(
                server("s", labels={"public": "yes"}), attachment("a", labelSelectors=["!public"])
            ),
            uncovered,
        ),
        stack_fails(
            "fail_server_unknown_ids_of_another_server",
            on_baseline(
                other, new, depends(attachment("a", serverIds=[UNKNOWN]), serverIds=[other])
            ),
            uncovered,
        ),
        stack_fails(
            "fail_server_apply_to_another_server",
            on_baseline(
                other,
                new,
                depends(hcloud_firewall("fw", applyTos=[{"server": UNKNOWN}]), applyTos=[other]),
            ),
            uncovered,
        ),
        stack_fails(
            "fail_server_no_keys",
            on_baseline(server("s", sshKeys=[], firewallIds=[1001])),
            no_keys("Server", "s"),
        ),
        stack_unknown(
            "unknown_server_keys",
            on_baseline(server("s", sshKeys=UNKNOWN, firewallIds=[1001])),
            ".sshKeys",
        ),
        stack_unknown(
            "unknown_server_firewall_ids",
            on_baseline(server("s", firewallIds=UNKNOWN)),
            ".firewallIds",
        ),
        stack_unknown("unknown_server_labels", on_baseline(server("s", labels=UNKNOWN)), ".labels"),
        stack_unknown(
            "unknown_server_label_value",
            on_baseline(server("s", labels={"role": UNKNOWN})),
            ".labels.role",
        ),
        stack_unknown(
            "unknown_server_attachment_selector",
            on_baseline(existing, attachment("a", labelSelectors=[UNKNOWN])),
            ".labelSelectors.0",
        ),
        stack_unknown(
            "unknown_server_attachment_ids_without_dependency",
            on_baseline(existing, attachment("a", serverIds=[UNKNOWN])),
            ".serverIds.0",
        ),
        stack_unknown(
            "unknown_server_apply_to_without_dependency",
            on_baseline(existing, hcloud_firewall("fw", applyTos=[{"server": UNKNOWN}])),
            ".applyTos.0.server",
        ),
    ]


def _analyzed_together() -> StackCase:
    """The known pass_/fail_ servers in one stack with the baseline."""
    new_droplet = droplet("pass_droplet_new", id=UNKNOWN)
    new_server = server("pass_server_new", id=UNKNOWN)
    return stack_fails(
        "fail_fixture_resources_analyzed_together",
        [
            *BASELINE,
            new_droplet,
            depends(do_firewall("fw_new", dropletIds=[UNKNOWN]), dropletIds=[new_droplet]),
            droplet("pass_droplet_literal", id="402"),
            do_firewall("fw_literal", dropletIds=[402]),
            droplet("pass_droplet_tag", tags=["edge"]),
            do_firewall("fw_tag", tags=["edge"]),
            droplet("fail_droplet_alone"),
            droplet("fail_droplet_new_vs_literal", id=UNKNOWN),
            droplet("fail_droplet_no_keys", sshKeys=[], tags=["edge"]),
            server("pass_server_ids", firewallIds=[1001]),
            new_server,
            depends(attachment("att_new", serverIds=[UNKNOWN]), serverIds=[new_server]),
            server("pass_server_selected", labels={"tier": "edge"}),
            attachment("att_selector", labelSelectors=["tier=edge"]),
            server("pass_server_apply_to", labels={"role": "db"}),
            hcloud_firewall("fw_apply_to", applyTos=[{"labelSelector": "role=db"}]),
            server("fail_server_alone", labels={"role": "web"}),
            server("fail_server_no_keys", sshKeys=[], firewallIds=[1001]),
        ],
        droplet_uncovered("fail_droplet_alone"),
        droplet_uncovered("fail_droplet_new_vs_literal"),
        no_keys("Droplet", "fail_droplet_no_keys"),
        server_uncovered("fail_server_alone"),
        no_keys("Server", "fail_server_no_keys"),
    )


CASES = RuleCases(
    stacks=[*VIOLATION_KINDS, *_droplet_stacks(), *_server_stacks(), _analyzed_together()]
)
