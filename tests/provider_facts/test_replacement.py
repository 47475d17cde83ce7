"""Routine edits of the prod stack never replace a container, the bridge or a host step.

Each case edits Pulumi.prod.yaml's config the way an operator would, records the program
before and after under the mock runtime, and checks the changed inputs against the providers'
ForceNew table (tests/provider_facts/force_new.py, with source lines), honouring the
resources' ``ignoreChanges`` as the engine does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from components.lxc_service import CONTAINER_IGNORED_AFTER_CREATE
from components.plan import RecordedResource
from tests.provider_facts.force_new import CONTAINER, FORCE_NEW, rules_for
from tests.provider_facts.replacement import Change, compare, record, stack_config

SERVICES = ("proxy", "livekit", "egress", "agents", "backend", "frontend", "monitoring")
NEW_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINEWKEYNEWKEYNEWKEYNEWKEYNEWKEYNEWKEY new@example.com"
)
NEW_TEMPLATE = {
    "url": "https://download.proxmox.com/images/system/debian-13-standard_13.1-2_amd64.tar.zst",
    "checksumAlgorithm": "sha512",
    "checksum": "ab" * 64,
    "datastore": "local",
    "osType": "debian",
}

Edit = Callable[[dict[str, Any]], None]


@cache
def _baseline() -> tuple[dict[str, Any], frozenset[str], tuple[RecordedResource, ...]]:
    values, secrets = stack_config("prod")
    return values, secrets, tuple(record(values, secrets))


def _change(edit: Edit, *, honour_ignore: bool = True) -> Change:
    values, secrets, before = _baseline()
    edited = copy.deepcopy(values)
    edit(edited)
    return compare(list(before), record(edited, secrets), honour_ignore=honour_ignore)


def _service(name: str, key: str, value: Any) -> Edit:
    def edit(values: dict[str, Any]) -> None:
        values["platform:services"][name][key] = value

    return edit


def _add_key(values: dict[str, Any]) -> None:
    values["platform:containerSshKeys"] = [*values["platform:containerSshKeys"], NEW_KEY]


def _new_template(values: dict[str, Any]) -> None:
    values["platform:host"]["template"] = NEW_TEMPLATE


def _add_forward(values: dict[str, Any]) -> None:
    values["platform:forwards"].append(
        {"protocol": "tcp", "ports": 8443, "to": "proxy", "description": "admin"}
    )


def _dns(values: dict[str, Any]) -> None:
    values["platform:host"]["dnsServers"] = ["9.9.9.9"]


ROUTINE: dict[str, tuple[Edit, dict[str, set[str]]]] = {
    # edit -> (nothing replaced; these resources updated with a changed path under each prefix)
    "ssh-keys": (_add_key, {f"{s}-ssh-keys": {"create"} for s in SERVICES}),
    "template": (_new_template, {}),
    "memory": (_service("livekit", "memoryMb", 32768), {"livekit-container": {"memory"}}),
    "cores": (_service("livekit", "cores", 12), {"livekit-container": {"cpu"}}),
    "swap": (_service("agents", "swapMb", 512), {"agents-container": {"memory"}}),
    "disk-grow-stateful": (_service("egress", "diskGb", 400), {"egress-disk": {"create"}}),
    "disk-grow-stateless": (_service("agents", "diskGb", 64), {"agents-disk": {"create"}}),
    "description": (
        _service("backend", "description", "Backend v2"),
        {"backend-container": {"description"}},
    ),
    "start-order": (_service("frontend", "startOrder", 9), {"frontend-container": {"startup"}}),
    "hostname": (
        _service("monitoring", "hostname", "metrics"),
        {"monitoring-container": {"initialization"}},
    ),
    "dns-servers": (_dns, {f"{s}-container": {"initialization"} for s in SERVICES}),
    "stateful-flag": (
        _service("agents", "stateful", True),
        {"agents-container": {"protection", "tags"}},
    ),
    "forward": (_add_forward, {"ax102-nat-ruleset": {"stdin"}}),
}


@pytest.mark.parametrize("case", sorted(ROUTINE))
def test_routine_edit_replaces_nothing_but_updates(case: str) -> None:
    edit, expected_updates = ROUTINE[case]
    change = _change(edit)
    allowed = {"ax102-template"} if case == "template" else set()
    assert set(change.replaced) == allowed, change.replaced
    assert change.created == []
    for name, prefixes in expected_updates.items():
        paths = change.updated.get(name, [])
        for prefix in prefixes:
            assert any(p == prefix or p.startswith((f"{prefix}.", f"{prefix}[")) for p in paths), (
                name,
                paths,
            )


def test_template_change_downloads_a_new_file_and_keeps_every_container() -> None:
    change = _change(_new_template)
    assert list(change.replaced) == ["ax102-template"]
    assert any("url" in reason for reason in change.replaced["ax102-template"])
    # The new file's id is unknown until it exists; the containers ignore it after creation.
    assert not any(name.endswith("-container") for name in change.updated)


def test_without_ignore_changes_a_key_change_would_replace_every_container() -> None:
    # The detector itself: the provider's ForceNew on user_account.keys (container.go:656).
    change = _change(_add_key, honour_ignore=False)
    assert set(change.replaced) == {f"{s}-container" for s in SERVICES}
    assert all(
        "initialization.userAccount.keys" in reason
        for reasons in change.replaced.values()
        for reason in reasons
    )


def test_without_ignore_changes_a_template_change_would_replace_every_container() -> None:
    change = _change(_new_template, honour_ignore=False)
    assert set(change.replaced) == {"ax102-template"} | {f"{s}-container" for s in SERVICES}


def test_a_new_vm_id_is_a_replacement() -> None:
    change = _change(_service("livekit", "vmId", 120))
    assert list(change.replaced) == ["livekit-container"]
    assert change.replaced["livekit-container"] == [
        "vmId: bpg/terraform-provider-proxmox@v0.111.1:proxmoxtf/resource/container/"
        "container.go:1172 (ForceNewIf the id differs)"
    ]


def test_disk_shrink_would_be_a_replacement_without_the_ignore() -> None:
    shrink = _service("egress", "diskGb", 100)
    assert set(_change(shrink, honour_ignore=False).replaced) == {"egress-container"}
    # With it, the container is untouched and the disk step (which refuses to shrink) runs.
    change = _change(shrink)
    assert change.replaced == {}
    assert "egress-disk" in change.updated


def test_every_declared_type_is_in_the_table() -> None:
    _, _, resources = _baseline()
    for resource in resources:
        if resource.custom:
            rules_for(resource.type)  # raises for a type nobody has looked up
    with pytest.raises(KeyError, match=r"is not in tests/provider_facts/force_new\.py"):
        rules_for("docker:index/container:Container")


def test_containers_ignore_exactly_the_replace_and_root_only_fields() -> None:
    _, _, resources = _baseline()
    containers = [r for r in resources if r.type == CONTAINER]
    assert len(containers) == len(SERVICES)
    for container in containers:
        assert container.ignore_changes == list(CONTAINER_IGNORED_AFTER_CREATE)
    force_new = {rule.path for rule in FORCE_NEW[CONTAINER]}
    # Each ForceNew field the program sets is either ignored or never edited routinely.
    set_paths = {"vmId", "nodeName", "unprivileged", "disk.datastoreId"}
    ignored = set(CONTAINER_IGNORED_AFTER_CREATE)
    for path in force_new:
        sets_it = path in set_paths or any(path.startswith(i) for i in ignored)
        not_used = path.startswith(("clone", "mountPoints", "poolId", "template"))
        assert sets_it or not_used, path
