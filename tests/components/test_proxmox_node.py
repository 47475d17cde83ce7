"""ProxmoxNode under mocks: provider credentials as secrets, host steps, template download."""

from __future__ import annotations

from components.proxmox_node import ProxmoxNode, ProxmoxNodeArgs
from components.render.host_files import MERGE_DATA_SCRIPT, prepare_host_script
from components.render.storage_merge import merge_data_script
from tests.stacks import by_name, is_secret, record, stack_spec

HOST = stack_spec("prod").host


def _declare(merge: bool) -> None:
    host = HOST.model_copy(update={"mergeDataIntoRoot": merge})
    ProxmoxNode("ax102", ProxmoxNodeArgs(host, "token-value", "key-value"))


def test_provider_credentials_are_secrets() -> None:
    provider = by_name(record(lambda: _declare(False)))["ax102-provider"]
    assert provider.type == "pulumi:providers:proxmoxve"
    assert provider.inputs["endpoint"] == "https://203.0.113.10:8006/"
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
    assert template.provider_urn == resources["ax102-provider"].urn


def test_data_merge_is_opt_in_and_runs_before_preparation() -> None:
    resources = by_name(record(lambda: _declare(True)))
    merge = resources["ax102-merge-data"]
    assert merge.inputs["create"] == MERGE_DATA_SCRIPT
    assert "update" not in merge.inputs  # runs once; never re-run by a config change
    assert merge.urn in resources["ax102-prepare"].dependencies


def test_a_pinned_host_key_reaches_every_host_command() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForTests root@ax102"

    def program() -> None:
        host = HOST.model_copy(update={"sshHostKey": key, "mergeDataIntoRoot": True})
        ProxmoxNode("ax102", ProxmoxNodeArgs(host, "token-value", "key-value"))

    resources = by_name(record(program))
    for name in ("ax102-prepare", "ax102-merge-data"):
        connection = resources[name].inputs["connection"]
        assert is_secret(connection)  # the private key makes the whole connection secret
        assert connection["value"]["hostKey"] == key


def test_the_merge_uses_the_configured_volume_group() -> None:
    def program() -> None:
        host = HOST.model_copy(update={"mergeDataIntoRoot": True})
        ProxmoxNode("ax102", ProxmoxNodeArgs(host, "t", "k", volume_group="vg_nvme"))

    merge = by_name(record(program))["ax102-merge-data"]
    assert merge.inputs["create"] == merge_data_script("vg_nvme")
    assert "vg='vg_nvme'" in merge.inputs["create"]
