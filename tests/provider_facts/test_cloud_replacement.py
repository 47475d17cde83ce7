"""Day 2 of the cloud stacks: what an edit of Pulumi.hub.yaml (Hetzner Cloud) and
Pulumi.staging.yaml (DigitalOcean) replaces, creates, updates and deletes.

Each case edits the stack file's config as an operator would, records the program before and
after under the mock runtime, and compares them against the providers' ForceNew table
(tests/provider_facts/force_new.py), honouring ``ignoreChanges`` as the engine does. Key
names and fingerprints come from the stack file and `ssh-keygen`, not from the code.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from components.plan import RecordedResource
from tests.provider_facts.force_new import in_scope, rules_for
from tests.provider_facts.replacement import Change, compare, record, stack_config
from tests.stacks import ed25519_public_key
from tests.tools import tool

Edit = Callable[[dict[str, Any]], None]
SECOND_KEY = ed25519_public_key("second admin", "second@example.com")
HOSTS = {"hub": "hub", "staging": "staging"}  # stack -> its one cloud server


def md5_hex(public_key: str, tmp: Path) -> str:
    """The key's MD5 fingerprint as `ssh-keygen -l -E md5` prints it, without the colons."""
    path = tmp / "key.pub"
    path.write_text(public_key + "\n")
    out = subprocess.run(
        [tool("ssh-keygen"), "-l", "-E", "md5", "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[1].removeprefix("MD5:").replace(":", "")


@cache
def _baseline(stack: str) -> tuple[dict[str, Any], frozenset[str], tuple[RecordedResource, ...]]:
    values, secrets = stack_config(stack)
    return values, secrets, tuple(record(values, secrets, stack=stack))


def _edited(stack: str, *edits: Edit) -> tuple[dict[str, Any], list[RecordedResource]]:
    values, secrets, _ = _baseline(stack)
    edited = copy.deepcopy(values)
    for edit in edits:
        edit(edited)
    return edited, record(edited, secrets, stack=stack)


def _change(stack: str, *edits: Edit, start: tuple[Edit, ...] = ()) -> Change:
    before = list(_baseline(stack)[2]) if not start else _edited(stack, *start)[1]
    return compare(before, _edited(stack, *start, *edits)[1])


def _host(stack: str, key: str, value: Any) -> Edit:
    def edit(values: dict[str, Any]) -> None:
        values["platform:hosts"][HOSTS[stack]][key] = value

    return edit


def _add_key(values: dict[str, Any]) -> None:
    values["platform:adminSshKeys"] = [*values["platform:adminSshKeys"], SECOND_KEY]


def _drop_first_key(values: dict[str, Any]) -> None:
    values["platform:adminSshKeys"] = values["platform:adminSshKeys"][1:]


def _no_volume(stack: str) -> Edit:
    def edit(values: dict[str, Any]) -> None:
        del values["platform:hosts"][HOSTS[stack]]["dataVolumeGb"]

    return edit


@pytest.mark.parametrize("stack", sorted(HOSTS))
def test_every_declared_cloud_type_is_in_the_table(stack: str) -> None:
    resources = [r for r in _baseline(stack)[2] if r.custom and in_scope(r.type)]
    assert {r.type.split(":")[0] for r in resources} >= {"command", "tls"}
    for resource in resources:
        rules_for(resource.type)  # raises for a type nobody has looked up


@pytest.mark.parametrize("stack", sorted(HOSTS))
def test_adding_an_admin_key_uploads_that_key_alone(stack: str, tmp_path: Path) -> None:
    host = HOSTS[stack]
    change = _change(stack, _add_key)
    assert change.created == [f"{host}-admin-{md5_hex(SECOND_KEY, tmp_path)}"]
    assert change.replaced == {}
    assert change.deleted == []
    # The server reads its keys at first boot only; the key step writes the new set.
    assert set(change.updated) == {f"{host}-ssh-keys"}
    assert {"create", "update"} <= set(change.updated[f"{host}-ssh-keys"])


@pytest.mark.parametrize("stack", sorted(HOSTS))
def test_removing_an_admin_key_deletes_that_key_alone(stack: str, tmp_path: Path) -> None:
    host = HOSTS[stack]
    first = _baseline(stack)[0]["platform:adminSshKeys"][0]
    change = _change(stack, _drop_first_key, start=(_add_key,))
    # The other key keeps its name: nothing is renamed, so nothing is replaced.
    assert change.deleted == [f"{host}-admin-{md5_hex(first, tmp_path)}"]
    assert change.created == []
    assert change.replaced == {}
    assert set(change.updated) == {f"{host}-ssh-keys"}


@pytest.mark.parametrize("stack", sorted(HOSTS))
def test_a_key_already_in_the_account_is_not_uploaded(stack: str, tmp_path: Path) -> None:
    host = HOSTS[stack]
    first = _baseline(stack)[0]["platform:adminSshKeys"][0]
    fingerprint = md5_hex(first, tmp_path)
    colons = ":".join(fingerprint[i : i + 2] for i in range(0, 32, 2))
    change = _change(stack, _host(stack, "existingSshKeys", [colons]))
    assert change.deleted == [f"{host}-admin-{fingerprint}"]
    assert change.replaced == {}
    assert change.created == []


@pytest.mark.parametrize(
    ("stack", "field", "value"),
    [("hub", "serverType", "cx53"), ("staging", "size", "s-8vcpu-16gb")],
)
def test_a_resize_is_an_update_in_place(stack: str, field: str, value: str) -> None:
    host = HOSTS[stack]
    change = _change(stack, _host(stack, field, value))
    assert change.replaced == {}
    assert change.updated == {f"{host}-server": [field]}


def test_hub_replaced_deletes_first_and_moves_its_volume() -> None:
    before = list(_baseline("hub")[2])
    change = compare(before, before, replace=frozenset({"hub-server"}))
    # The attachment's server_id is ForceNew: the volume follows the new server; the steps
    # that carry the config a rebuilt server lacks run again.
    assert set(change.replaced) == {
        "hub-server",
        "hub-data-attachment",
        "hub-data-volume",
        "hub-engine-ready",
        "hub-ssh-keys",
    }
    assert change.replaced["hub-data-attachment"] == [
        "serverId: hetznercloud/terraform-provider-hcloud@v1.66.1:"
        "internal/volume/resource_attachment.go:39"
    ]
    by_name = {r.name: r for r in before}
    # Server names are unique per project, and the attachment's id is the volume's: both are
    # deleted before their replacement is created.
    assert by_name["hub-server"].delete_before_replace
    assert by_name["hub-data-attachment"].delete_before_replace
    assert not by_name["hub-data"].delete_before_replace  # the volume itself stays


def test_staging_replaced_deletes_first_because_of_its_volume() -> None:
    before = list(_baseline("staging")[2])
    change = compare(before, before, replace=frozenset({"staging-server"}))
    assert set(change.replaced) == {
        "staging-server",
        "staging-data-volume",
        "staging-engine-ready",
        "staging-ssh-keys",
    }
    assert "staging-firewall" in change.updated  # dropletIds: updated in place
    by_name = {r.name: r for r in before}
    assert by_name["staging-server"].delete_before_replace
    # Without a volume, a droplet (names need not be unique) is created before the old goes.
    without = {r.name: r for r in _edited("staging", _no_volume("staging"))[1]}
    assert not without["staging-server"].delete_before_replace


@pytest.mark.parametrize("stack", sorted(HOSTS))
def test_a_volume_added_on_day_2_gets_its_setup_step(stack: str) -> None:
    host = HOSTS[stack]
    change = _change(stack, start=(_no_volume(stack),))
    assert change == Change()  # the same config twice changes nothing
    added = compare(_edited(stack, _no_volume(stack))[1], list(_baseline(stack)[2]))
    assert added.replaced == {}  # the server keeps its first boot (userData is ignored)
    expected = {f"{host}-data", f"{host}-data-volume"}
    if stack == "hub":
        expected.add("hub-data-attachment")
    assert set(added.created) == expected
    # DigitalOcean attaches it in place (volume_ids); the readiness now checks the mount.
    assert f"{host}-engine-ready" in added.updated
