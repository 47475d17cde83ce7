"""ProxmoxNode under mocks: provider credentials as secrets, host steps, template download."""

from __future__ import annotations

import pulumi
import pytest

from components.hosts.proxmox.node import ProxmoxNode, ProxmoxNodeArgs, storage_needs
from components.render.host_files import prepare_host_script
from components.render.proxmox_steps import storage_content_script
from components.render.storage_merge import merge_data_script
from components.spec import ProxmoxHostSpec
from tests.stacks import by_name, ed25519_public_key, is_secret, record, stack_spec

HOST = stack_spec("prod").hosts["ax102"]
assert isinstance(HOST, ProxmoxHostSpec)


def _declare(merge: bool) -> None:
    host = HOST.model_copy(update={"mergeDataIntoRoot": merge})
    ProxmoxNode("ax102", ProxmoxNodeArgs(host, "token-value", "key-value"))


def test_provider_credentials_are_secrets() -> None:
    provider = by_name(record(lambda: _declare(False)))["ax102-provider"]
    assert provider.type == "pulumi:providers:proxmoxve"
    assert provider.inputs["endpoint"] == "https://ax102.example.com:8006/"
    assert provider.inputs["insecure"] == "false"  # provider config travels as strings
    assert is_secret(provider.inputs["apiToken"])
    assert is_secret(provider.inputs["ssh"])
    assert "token-value" not in str(provider.inputs["endpoint"])


def test_host_steps_and_template() -> None:
    resources = by_name(record(lambda: _declare(False)))
    assert "ax102-merge-data" not in resources
    prepare = resources["ax102-prepare"]
    assert prepare.inputs["create"] == prepare_host_script("vmbr0", HOST.publicAddress)
    assert is_secret(prepare.inputs["connection"])
    template = resources["ax102-template"]
    assert template.inputs["contentType"] == "vztmpl"
    assert template.inputs["datastoreId"] == "local"
    assert template.inputs["url"] == str(HOST.template.url)
    assert template.inputs["url"].startswith("https://")
    assert template.inputs["checksum"] == HOST.template.checksum
    assert template.inputs["checksumAlgorithm"] == "sha512"
    # An existing file (an adopted host) is replaced by the verified download, not an error.
    assert template.inputs["overwriteUnmanaged"] is True
    assert template.inputs["overwrite"] is False
    assert template.delete_before_replace is True
    assert template.provider_urn == resources["ax102-provider"].urn
    assert resources["ax102-storage-content"].urn in template.dependencies


def test_data_merge_is_opt_in_and_runs_before_preparation() -> None:
    resources = by_name(record(lambda: _declare(True)))
    merge = resources["ax102-merge-data"]
    assert merge.inputs["create"] == merge_data_script("pve")
    assert "update" not in merge.inputs  # runs once; never re-run by a config change
    assert merge.urn in resources["ax102-prepare"].dependencies


@pytest.mark.parametrize("merge", [True, False])
def test_storage_content_step_is_unconditional_and_after_the_merge(merge: bool) -> None:
    resources = by_name(record(lambda: _declare(merge)))
    content = resources["ax102-storage-content"]
    script = storage_content_script({"local": ["vztmpl", "rootdir"]})
    assert content.inputs["create"] == content.inputs["update"] == script
    if merge:
        assert resources["ax102-merge-data"].urn in content.dependencies


def test_storage_needs_group_by_storage() -> None:
    assert storage_needs(HOST) == {"local": ["vztmpl", "rootdir"]}
    split = HOST.model_copy(update={"containerDatastore": "local-lvm", "mergeDataIntoRoot": False})
    assert storage_needs(split) == {"local": ["vztmpl"], "local-lvm": ["rootdir"]}


def test_a_pinned_host_key_reaches_every_host_command() -> None:
    key = ed25519_public_key("ax102 host key", "root@ax102")

    def program() -> None:
        host = HOST.model_copy(update={"sshHostKey": key, "mergeDataIntoRoot": True})
        ProxmoxNode("ax102", ProxmoxNodeArgs(host, "token-value", "key-value"))

    resources = by_name(record(program))
    for name in ("ax102-prepare", "ax102-merge-data", "ax102-storage-content"):
        connection = resources[name].inputs["connection"]
        assert is_secret(connection)  # the private key makes the whole connection secret
        assert connection["value"]["hostKey"] == key


@pytest.mark.parametrize(
    ("env", "warned"),
    [(None, True), ("/elsewhere.pem", True), ("pve-bundle.pem", False)],
)
def test_a_ca_bundle_only_counts_when_the_cli_runs_with_it(
    monkeypatch: pytest.MonkeyPatch, env: str | None, warned: bool
) -> None:
    messages: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_a, **_k: messages.append(message))
    if env is None:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    else:
        monkeypatch.setenv("SSL_CERT_FILE", env)

    def program() -> None:
        host = HOST.model_copy(update={"apiCaBundle": "pve-bundle.pem"})
        ProxmoxNode("ax102", ProxmoxNodeArgs(host, "token-value", "key-value"))

    record(program)
    expected = (
        "platform:hosts.ax102.apiCaBundle is pve-bundle.pem, but SSL_CERT_FILE is "
        f"{env or 'not set'}: the Proxmox provider verifies the API against SSL_CERT_FILE only; "
        "run pulumi with SSL_CERT_FILE=pve-bundle.pem"
    )
    assert messages == ([expected] if warned else [])


def test_the_merge_uses_the_configured_volume_group() -> None:
    def program() -> None:
        host = HOST.model_copy(update={"mergeDataIntoRoot": True, "volumeGroup": "vg_nvme"})
        ProxmoxNode("ax102", ProxmoxNodeArgs(host, "t", "k"))

    merge = by_name(record(program))["ax102-merge-data"]
    assert merge.inputs["create"] == merge_data_script("vg_nvme")
    assert "vg='vg_nvme'" in merge.inputs["create"]
