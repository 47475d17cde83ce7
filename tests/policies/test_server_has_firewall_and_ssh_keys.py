"""server-has-firewall-and-ssh-keys (a stack policy), through the pack process.

References between resources arrive as values and as property dependencies: a firewall built
with ``droplet_ids=[droplet.id.apply(int)]`` sends ``dropletIds`` = the id (unknown while the
droplet is not created, during preview) and records that ``dropletIds`` depends on the droplet.
Each case below is tested with known ids (resources that exist) and unknown ids (preview).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess, struct_from
from components.plan.recording import RecordedResource

from .conftest import UNKNOWN, diagnostics, not_run_prefix, resource, violating_names
from .fixtures_cloud import (
    APP,
    APP_FIREWALL,
    BASELINE,
    DO_TAG,
    NODE,
    WORKER,
    WORKER_ATTACHMENT,
    attachment,
    depends,
    do_firewall,
    droplet,
    hcloud_firewall,
    outcomes,
    server,
    swap,
)

POLICY = "server-has-firewall-and-ssh-keys"
DESCRIPTION = (
    "Cloud servers (DigitalOcean droplets, Hetzner Cloud servers) have SSH keys and are "
    "covered by a cloud firewall of the stack."
)


def violation(message: str) -> tuple[str, str, str]:
    return (POLICY, "mandatory", f"{DESCRIPTION}\n{message}")


def no_keys(kind: str, name: str) -> tuple[str, str, str]:
    return violation(f"{kind} {name} has no sshKeys.")


def droplet_uncovered(name: str) -> tuple[str, str, str]:
    return violation(
        f"Droplet {name} is covered by no digitalocean.Firewall of the stack (by dropletIds or "
        "tags)."
    )


def server_uncovered(name: str) -> tuple[str, str, str]:
    return violation(
        f"Server {name} has no firewallIds, and no hcloud FirewallAttachment or Firewall "
        "applyTos of the stack selects it."
    )


def with_properties(item: RecordedResource, **changes: Any) -> RecordedResource:
    """``item`` with changed top-level properties (None removes one); options kept."""
    properties = {k: v for k, v in {**item.inputs, **changes}.items() if v is not None}
    return replace(item, properties=struct_from(properties))


def no_dependencies(item: RecordedResource) -> RecordedResource:
    return replace(item, property_dependencies={}, dependencies=[])


def test_baseline_has_no_diagnostics(pack: PolicyPackProcess) -> None:
    assert pack.check(BASELINE) == []


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        pytest.param(
            [with_properties(APP, sshKeys=[])], [no_keys("Droplet", "app")], id="droplet-keys-empty"
        ),
        pytest.param(
            [with_properties(APP, sshKeys=None)],
            [no_keys("Droplet", "app")],
            id="droplet-keys-missing",
        ),
        pytest.param(
            [no_dependencies(with_properties(APP_FIREWALL, dropletIds=None))],
            [droplet_uncovered("app")],
            id="droplet-without-firewall",
        ),
        pytest.param(
            [
                with_properties(APP, sshKeys=[]),
                no_dependencies(with_properties(APP_FIREWALL, dropletIds=[401234568])),
            ],
            [no_keys("Droplet", "app"), droplet_uncovered("app")],
            id="droplet-both-and-firewall-for-another-id",
        ),
        pytest.param(
            [with_properties(NODE, sshKeys=[])], [no_keys("Server", "node")], id="server-keys"
        ),
        pytest.param(
            [no_dependencies(with_properties(NODE, firewallIds=None))],
            [server_uncovered("node")],
            id="server-without-firewall-ids",
        ),
        pytest.param(
            [with_properties(WORKER_ATTACHMENT, labelSelectors=["role=worker,env=staging"])],
            [server_uncovered("worker")],
            id="attachment-selector-does-not-select",
        ),
    ],
)
def test_each_violation_kind(
    pack: PolicyPackProcess, changed: list[RecordedResource], expected: list[tuple[str, str, str]]
) -> None:
    assert diagnostics(pack.check(swap(BASELINE, *changed))) == expected


def test_violations_carry_the_server_urn(pack: PolicyPackProcess) -> None:
    changed = [
        with_properties(APP, sshKeys=[]),
        with_properties(WORKER_ATTACHMENT, labelSelectors=["role=db"]),
    ]
    assert [v.urn for v in pack.check(swap(BASELINE, *changed))] == [APP.urn, WORKER.urn]


def test_unknown_keys_are_a_stack_wide_not_run_advisory(pack: PolicyPackProcess) -> None:
    assert diagnostics(pack.check(swap(BASELINE, with_properties(APP, sshKeys=UNKNOWN)))) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .sshKeys can't be known during preview",
        )
    ]


def test_unknown_id_without_dependency_names_the_value(pack: PolicyPackProcess) -> None:
    stack = [droplet("d", id=UNKNOWN), do_firewall("f", dropletIds=[UNKNOWN])]
    assert diagnostics(pack.check(swap(BASELINE, *stack))) == [
        (
            POLICY,
            "advisory",
            not_run_prefix(POLICY) + "string value at .dropletIds.0 can't be known during preview",
        )
    ]


def _do_stacks() -> dict[str, list[RecordedResource]]:
    tag = resource(DO_TAG, "t", {"name": UNKNOWN, "id": UNKNOWN})
    new = droplet("d", id=UNKNOWN)
    existing = droplet("d", id="402")
    other = droplet("o", id=UNKNOWN)
    for_other = depends(do_firewall("f", dropletIds=[UNKNOWN]), dropletIds=[other])
    return {
        "pass_new_droplet_by_dependency": [
            new,
            depends(do_firewall("f", dropletIds=[UNKNOWN]), dropletIds=[new]),
        ],
        "pass_existing_droplet_by_dependency": [
            existing,
            depends(do_firewall("f", dropletIds=[402]), dropletIds=[existing]),
        ],
        "pass_existing_droplet_by_literal_id": [existing, do_firewall("f", dropletIds=[402])],
        "pass_tag_name": [droplet("d", tags=["edge"]), do_firewall("f", tags=["edge"])],
        "pass_same_tag_resource_unknown_names": [
            tag,
            depends(droplet("d", id=UNKNOWN, tags=[UNKNOWN]), tags=[tag]),
            depends(do_firewall("f", tags=[UNKNOWN]), tags=[tag]),
        ],
        "pass_unknown_ids_of_others_but_tag": [
            other,
            droplet("d", id=UNKNOWN, tags=["edge"]),
            with_properties(for_other, tags=["edge"]),
        ],
        "pass_key_ids_unknown": [
            droplet("d", id="402", sshKeys=[UNKNOWN]),
            do_firewall("f", dropletIds=[402]),
        ],
        "fail_no_firewall": [droplet("d")],
        "fail_unknown_ids_of_another_droplet": [other, new, for_other],
        "fail_literal_other_id": [existing, do_firewall("f", dropletIds=[403])],
        "fail_new_droplet_against_literal_id": [new, do_firewall("f", dropletIds=[402])],
        "fail_tags_disjoint": [droplet("d", tags=["a"]), do_firewall("f", tags=["b"])],
        "fail_unknown_firewall_tag_untagged_droplet": [
            tag,
            new,
            depends(do_firewall("f", tags=[UNKNOWN]), tags=[tag]),
        ],
        "fail_no_keys": [droplet("d", id="402", sshKeys=[]), do_firewall("f", dropletIds=[402])],
        "unknown_keys": [
            droplet("d", id="402", sshKeys=UNKNOWN),
            do_firewall("f", dropletIds=[402]),
        ],
        "unknown_ids_without_dependency": [new, do_firewall("f", dropletIds=[UNKNOWN])],
        "unknown_id_list_without_dependency": [existing, do_firewall("f", dropletIds=UNKNOWN)],
        "unknown_firewall_tag": [
            tag,
            droplet("d", tags=["edge"]),
            depends(do_firewall("f", tags=[UNKNOWN]), tags=[tag]),
        ],
        "unknown_droplet_tags": [droplet("d", tags=UNKNOWN), do_firewall("f", tags=["edge"])],
    }


def _hcloud_stacks() -> dict[str, list[RecordedResource]]:
    new = server("s", id=UNKNOWN, labels={"role": "web"})
    existing = server("s", id="5003", labels={"role": "web"})
    other = server("o", id=UNKNOWN, firewallIds=[1001])
    return {
        "pass_firewall_ids_unknown_items": [server("s", firewallIds=[UNKNOWN])],
        "pass_attachment_by_dependency": [
            new,
            depends(attachment("a", serverIds=[UNKNOWN]), serverIds=[new]),
        ],
        "pass_attachment_literal_id": [existing, attachment("a", serverIds=[5003])],
        "pass_attachment_selector": [
            server("s", labels={"tier": "edge", "env": "staging"}),
            attachment("a", labelSelectors=["tier=edge,env in (prod, staging)"]),
        ],
        "pass_attachment_notin_selector": [
            server("s", labels={"env": "prod"}),
            attachment("a", labelSelectors=["env notin (dev,test)"]),
        ],
        "pass_apply_to_by_dependency": [
            new,
            depends(hcloud_firewall("fw", applyTos=[{"server": UNKNOWN}]), applyTos=[new]),
        ],
        "pass_apply_to_literal_id": [existing, hcloud_firewall("fw", applyTos=[{"server": 5003}])],
        "pass_apply_to_label": [
            server("s", labels={"role": "db"}),
            hcloud_firewall("fw", applyTos=[{"labelSelector": "role==db,!public"}]),
        ],
        "pass_unknown_firewall_ids_but_attachment": [
            with_properties(new, firewallIds=UNKNOWN),
            depends(attachment("a", serverIds=[UNKNOWN]), serverIds=[new]),
        ],
        "fail_no_firewall": [server("s")],
        "fail_firewall_ids_empty": [server("s", firewallIds=[])],
        "fail_selector_mismatch": [existing, attachment("a", labelSelectors=["role=db"])],
        "fail_negated_selector": [
            server("s", labels={"public": "yes"}),
            attachment("a", labelSelectors=["!public"]),
        ],
        "fail_unknown_ids_of_another_server": [
            other,
            new,
            depends(attachment("a", serverIds=[UNKNOWN]), serverIds=[other]),
        ],
        "fail_apply_to_another_server": [
            other,
            new,
            depends(hcloud_firewall("fw", applyTos=[{"server": UNKNOWN}]), applyTos=[other]),
        ],
        "fail_no_keys": [server("s", sshKeys=[], firewallIds=[1001])],
        "unknown_keys": [server("s", sshKeys=UNKNOWN, firewallIds=[1001])],
        "unknown_firewall_ids": [server("s", firewallIds=UNKNOWN)],
        "unknown_labels": [server("s", labels=UNKNOWN)],
        "unknown_label_value": [server("s", labels={"role": UNKNOWN})],
        "unknown_attachment_selector": [existing, attachment("a", labelSelectors=[UNKNOWN])],
        "unknown_attachment_ids_without_dependency": [
            existing,
            attachment("a", serverIds=[UNKNOWN]),
        ],
        "unknown_apply_to_without_dependency": [
            existing,
            hcloud_firewall("fw", applyTos=[{"server": UNKNOWN}]),
        ],
    }


STACKS = {
    **{f"droplet:{name}": stack for name, stack in _do_stacks().items()},
    **{f"server:{name}": stack for name, stack in _hcloud_stacks().items()},
}


def test_fixture_stacks(pack: PolicyPackProcess) -> None:
    failing, not_run = outcomes(pack, POLICY, STACKS)
    assert failing == {n for n in STACKS if n.split(":")[1].startswith("fail_")}
    assert not_run == {n for n in STACKS if n.split(":")[1].startswith("unknown_")}


def test_fixture_resources_analyzed_together(pack: PolicyPackProcess) -> None:
    """The known pass_/fail_ servers in one stack: exactly the fail_ ones violate."""
    new_droplet = droplet("pass_droplet_new", id=UNKNOWN)
    new_server = server("pass_server_new", id=UNKNOWN)
    stack = [
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
    ]
    found = pack.check([*BASELINE, *stack])
    assert violating_names(found, POLICY) == {
        item.name for item in stack if item.name.startswith("fail_")
    }
