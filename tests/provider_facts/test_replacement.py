"""Routine edits of the prod stack never replace an LXC guest, the bridge or a host step.

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

from components.hosts.proxmox.guest import CONTAINER_IGNORED_AFTER_CREATE
from components.plan import RecordedResource
from tests.provider_facts.force_new import CONTAINER, FORCE_NEW, in_scope, rules_for
from tests.provider_facts.outputs import OUTPUTS
from tests.provider_facts.replacement import Change, compare, record, stack_config
from tests.stacks import ed25519_public_key

GUESTS = ("proxy", "livekit", "egress", "agents", "backend", "frontend", "monitoring")
NEW_KEY = ed25519_public_key("new", "new@example.com")
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


def _guest(name: str, key: str, value: Any) -> Edit:
    def edit(values: dict[str, Any]) -> None:
        values["platform:guests"][name][key] = value

    return edit


def _add_key(values: dict[str, Any]) -> None:
    values["platform:adminSshKeys"] = [*values["platform:adminSshKeys"], NEW_KEY]


def _new_template(values: dict[str, Any]) -> None:
    values["platform:hosts"]["ax102"]["template"] = NEW_TEMPLATE


def _add_forward(values: dict[str, Any]) -> None:
    values["platform:services"]["npm"].setdefault("expose", []).append(
        {"kind": "forward", "protocol": "tcp", "ports": 8443, "description": "admin"}
    )


def _dns(values: dict[str, Any]) -> None:
    values["platform:hosts"]["ax102"]["dnsServers"] = ["9.9.9.9"]


def _c(guest: str) -> str:
    """The program's name of a guest's LXC container."""
    return f"ax102-{guest}-container"


# Guests whose Docker engine has an install step and a readiness command. Those, and every
# guest's key and disk steps, trigger on the container's MAC (`triggers`, ForceNew in
# pulumi-command), which a new container gets anew (tests/provider_facts/outputs.py); its id is
# its vmid, the same after a rebuild. Every guest of prod runs services (the monitoring guest
# the set of platform:monitoring).
ENGINE_GUESTS = GUESTS


def _replaced_with_followers(*guests: str) -> set[str]:
    """A guest's container and the steps that follow a new container."""
    names = {_c(g) for g in guests}
    for guest in guests:
        names |= {f"ax102-{guest}-ssh-keys", f"ax102-{guest}-disk"}
        if guest in ENGINE_GUESTS:
            names |= {f"ax102-{guest}-docker", f"ax102-{guest}-engine-ready"}
    return names


ROUTINE: dict[str, tuple[Edit, dict[str, set[str]]]] = {
    # edit -> (nothing replaced; these resources updated with a changed path under each prefix)
    "ssh-keys": (_add_key, {f"ax102-{g}-ssh-keys": {"create"} for g in GUESTS}),
    "template": (_new_template, {}),
    "memory": (_guest("livekit", "memoryMb", 32768), {_c("livekit"): {"memory"}}),
    "cores": (_guest("livekit", "cores", 12), {_c("livekit"): {"cpu"}}),
    "swap": (_guest("agents", "swapMb", 512), {_c("agents"): {"memory"}}),
    "disk-grow-stateful": (_guest("egress", "diskGb", 400), {"ax102-egress-disk": {"create"}}),
    "disk-grow-stateless": (_guest("agents", "diskGb", 64), {"ax102-agents-disk": {"create"}}),
    "description": (
        _guest("backend", "description", "Backend v2"),
        {_c("backend"): {"description"}},
    ),
    "start-order": (_guest("frontend", "startOrder", 9), {_c("frontend"): {"startup"}}),
    "hostname": (
        _guest("monitoring", "hostname", "metrics"),
        {_c("monitoring"): {"initialization"}},
    ),
    "dns-servers": (_dns, {_c(g): {"initialization"} for g in GUESTS}),
    "stateful-flag": (
        _guest("agents", "stateful", True),
        {_c("agents"): {"protection", "tags"}},
    ),
    "forward": (_add_forward, {"ax102-nat-ruleset": {"stdin"}}),
}


@pytest.mark.parametrize("case", sorted(ROUTINE))
def test_routine_edit_replaces_nothing_but_updates(case: str) -> None:
    edit, expected_updates = ROUTINE[case]
    change = _change(edit)
    # A new template is downloaded anew; a new forward is a new published port of NPM's
    # container, and `ports` is ForceNew (tests/provider_facts/force_new.py).
    allowed = {"template": {"ax102-template"}, "forward": {"npm-container"}}.get(case, set())
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
    assert not any(name in change.updated for name in map(_c, GUESTS))


def test_without_ignore_changes_a_key_change_would_replace_every_container() -> None:
    # The detector itself: the provider's ForceNew on user_account.keys (container.go:656).
    change = _change(_add_key, honour_ignore=False)
    assert set(change.replaced) == _replaced_with_followers(*GUESTS)
    assert all(
        "initialization.userAccount.keys" in reason
        for name, reasons in change.replaced.items()
        if name.endswith("-container")
        for reason in reasons
    )


def test_without_ignore_changes_a_template_change_would_replace_every_container() -> None:
    change = _change(_new_template, honour_ignore=False)
    assert set(change.replaced) == {"ax102-template"} | _replaced_with_followers(*GUESTS)


def test_a_new_vm_id_is_a_replacement() -> None:
    change = _change(_guest("livekit", "vmId", 120))
    assert set(change.replaced) == _replaced_with_followers("livekit")
    assert change.replaced[_c("livekit")] == [
        "vmId: bpg/terraform-provider-proxmox@v0.111.1:proxmoxtf/resource/container/"
        "container.go:1172 (ForceNewIf the id differs)"
    ]


def test_disk_shrink_would_be_a_replacement_without_the_ignore() -> None:
    shrink = _guest("egress", "diskGb", 100)
    assert set(_change(shrink, honour_ignore=False).replaced) == _replaced_with_followers("egress")
    # With it, the container is untouched and the disk step (which refuses to shrink) runs.
    change = _change(shrink)
    assert change.replaced == {}
    assert "ax102-egress-disk" in change.updated


def test_every_declared_type_is_in_the_table() -> None:
    _, _, resources = _baseline()
    checked = [r for r in resources if r.custom and in_scope(r.type)]
    assert {r.type for r in checked} >= {
        CONTAINER,
        "proxmoxve:download/file:File",
        "docker:index/container:Container",
        "docker:index/remoteImage:RemoteImage",
        "docker:index/volume:Volume",
        "docker:index/network:Network",
        "pulumi:providers:docker",
    }
    for resource in checked:
        rules_for(resource.type)  # raises for a type nobody has looked up
    with pytest.raises(KeyError, match=r"is not in tests/provider_facts/force_new\.py"):
        rules_for("proxmoxve:index/vm:Vm")
    # Cloud servers are in scope too (force_new.SCOPE), and their rules were looked up.
    assert in_scope("digitalocean:index/droplet:Droplet")
    assert in_scope("pulumi:providers:hcloud")
    assert not in_scope("random:index/randomId:RandomId")


def test_containers_ignore_exactly_the_replace_and_root_only_fields() -> None:
    _, _, resources = _baseline()
    containers = [r for r in resources if r.type == CONTAINER]
    assert len(containers) == len(GUESTS)
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


@pytest.mark.parametrize("guest", GUESTS)
def test_a_rebuilt_guest_runs_its_steps_again(guest: str) -> None:
    # `pulumi up --replace` of a container: the same vmId, so the same provider id; the steps
    # that must follow a new container (keys, disk, Docker's install, the readiness) run again.
    _, _, before = _baseline()
    change = compare(list(before), list(before), replace=frozenset({_c(guest)}))
    assert set(change.replaced) == _replaced_with_followers(guest)


def test_guest_containers_are_deleted_before_their_replacement() -> None:
    # Proxmox refuses a second container with the same vmid: create-before-delete cannot work.
    _, _, resources = _baseline()
    containers = [r for r in resources if r.type == CONTAINER]
    assert len(containers) == len(GUESTS)
    assert all(r.delete_before_replace for r in containers)


def test_the_mocks_answer_ids_as_the_providers_do() -> None:
    values, _, resources = _baseline()
    vm_ids = {
        f"ax102-{name}-container": guest["vmId"]
        for name, guest in values["platform:guests"].items()
    }
    containers = {r.name: r.id for r in resources if r.type == CONTAINER}
    # The stack file's vmIds, independently of the facts table and of the mocks.
    assert containers == {name: str(vm_id) for name, vm_id in vm_ids.items()}
    for resource in resources:
        facts = OUTPUTS.get(resource.type)
        if facts is not None and facts.id_from is not None:
            assert resource.id == str(int(resource.inputs[facts.id_from])), resource.name
