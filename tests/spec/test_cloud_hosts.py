"""Cloud server fields: Hetzner server types, keys already in the account, each admin key once.

Errors name the config path, the value and what is allowed, all problems at once. The current
and removed Hetzner types are the ones hetznercloud/terraform-provider-hcloud names (commit
c9cdbb9: CX Gen 2 and CPX Gen 1 are removed from the API; docs moved to cx23, tests to cpx22).
"""

from __future__ import annotations

from typing import Any

import pytest

from components.spec import HcloudHostSpec
from components.spec.hosts import HCLOUD_CURRENT_TYPES
from tests.spec.spec_helpers import SECRETS, Mutation, add_droplet, error_text, mutated, parse, put
from tests.spec.test_models import DOCUMENT
from tests.stacks import ed25519_public_key, stack_spec

FINGERPRINT = "55:58:dc:bd:61:6e:7d:24:07:a7:7d:9b:be:99:83:a8"


def add_hcloud(name: str = "hub", **fields: Any) -> Mutation:
    def apply(document: dict[str, Any]) -> None:
        document["hosts"][name] = {
            "kind": "hcloud",
            "location": "fsn1",
            "serverType": "cx33",
            "sshAllowedFrom": ["198.51.100.0/24"],
            **fields,
        }
        document[SECRETS][name] = {"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\n"}

    return apply


def doc(*mutations: Mutation) -> dict[str, Any]:
    return mutated(DOCUMENT, *mutations)


@pytest.mark.parametrize(
    ("server_type", "generation"),
    [
        ("cx11", "CX Gen 1"),
        ("cx41", "CX Gen 1"),
        ("cx22", "CX Gen 2"),
        ("cx42", "CX Gen 2"),
        ("cx52", "CX Gen 2"),
        ("cpx11", "CPX Gen 1"),
        ("cpx51", "CPX Gen 1"),
    ],
)
def test_a_removed_generation_is_refused_with_current_examples(
    server_type: str, generation: str
) -> None:
    assert error_text(doc(add_hcloud(serverType=server_type))) == (
        f"platform:hosts.hub.serverType: {server_type} is a {generation} type, removed from "
        "Hetzner's API (a server of it cannot be created); use a current type such as "
        "cx23, cx33, cx43, cx53 (shared vCPU, CX Gen 3), cpx12 ... cpx62 (shared AMD, CPX Gen "
        "2), cax11 ... cax41 (Arm), ccx13 ... ccx63 (dedicated vCPU)"
    )


@pytest.mark.parametrize("server_type", ["CX43", "cx4", "cx043", "dx43", "cx43 ", "large"])
def test_a_name_of_another_shape_is_refused(server_type: str) -> None:
    text = error_text(doc(add_hcloud(serverType=server_type)))
    assert text.startswith(f"platform:hosts.hub.serverType: {server_type}")
    assert "is not a Hetzner Cloud server type: a family (cx, cpx, cax, ccx) and two digits" in text
    assert HCLOUD_CURRENT_TYPES in text


@pytest.mark.parametrize(
    "server_type", ["cx23", "cx33", "cx43", "cx53", "cpx12", "cpx22", "cpx62", "cax11", "ccx13"]
)
def test_current_types_are_accepted(server_type: str) -> None:
    host = parse(doc(add_hcloud(serverType=server_type))).hosts["hub"]
    assert isinstance(host, HcloudHostSpec)
    assert host.serverType == server_type


def test_the_hub_stack_uses_a_current_type_and_keeps_its_disk() -> None:
    host = stack_spec("hub").hosts["hub"]
    assert isinstance(host, HcloudHostSpec)
    assert host.serverType == "cx43"
    assert host.keepDisk is True


def test_existing_keys_by_id_or_fingerprint() -> None:
    references = [4711, "12", FINGERPRINT.upper()]
    spec = parse(doc(add_hcloud(existingSshKeys=references), add_droplet(existingSshKeys=[7])))
    assert spec.hosts["hub"].existingSshKeys == ["4711", "12", FINGERPRINT]  # type: ignore[union-attr]
    assert spec.hosts["edge"].existingSshKeys == ["7"]  # type: ignore[union-attr]


@pytest.mark.parametrize("reference", ["my-key", "0", "55:58:dc", True, "sha256:abc"])
def test_an_existing_key_must_be_an_id_or_a_fingerprint(reference: Any) -> None:
    text = error_text(doc(add_hcloud(existingSshKeys=[reference])))
    assert text.startswith("platform:hosts.hub.existingSshKeys[0]: ")
    assert "is neither an SSH key id (digits) nor an MD5 fingerprint" in text
    assert "ssh-keygen -l -E md5" in text


def test_an_existing_key_listed_twice() -> None:
    text = error_text(doc(add_droplet(existingSshKeys=[FINGERPRINT, "9", FINGERPRINT])))
    assert text.startswith("platform:hosts.edge.existingSshKeys: ")
    assert text.endswith(f"names {FINGERPRINT} more than once; list each key once")


def test_an_admin_key_listed_twice_even_with_another_comment() -> None:
    key = ed25519_public_key("admin", "ops@example.com")
    again = " ".join(key.split()[:2]) + " ops@laptop"
    text = error_text(doc(put("adminSshKeys", value=[key, ed25519_public_key("b"), again])))
    assert text == (
        "platform:adminSshKeys[2]: is the key of adminSshKeys[0] again (comments aside); "
        "list each key once"
    )


def test_every_cloud_problem_at_once() -> None:
    key = ed25519_public_key("admin", "ops@example.com")
    text = error_text(
        doc(
            add_hcloud(serverType="cx42", existingSshKeys=["nope"]),
            put("adminSshKeys", value=[key, key]),
        )
    )
    assert {line.split(":")[1] for line in text.splitlines()} == {
        "hosts.hub.serverType",
        "hosts.hub.existingSshKeys[0]",
        "adminSshKeys[1]",
    }
