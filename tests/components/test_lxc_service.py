"""LxcService under mocks: one unprivileged LXC guest on the NAT bridge, as the engine sees it."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pulumi
import pulumi_command as command
import pulumi_proxmoxve as proxmoxve
import pytest

from components.hosts.proxmox.guest import (
    CONTAINER_IGNORED_AFTER_CREATE,
    LxcService,
    LxcServiceArgs,
)
from components.plan import RecordedResource
from components.plan.recording import mock_outputs
from components.render.proxmox_steps import container_disk_script, container_keys_script
from components.spec import GuestSpec
from tests.stacks import by_name, ed25519_public_key, is_secret, record

ADMIN_KEY = ed25519_public_key("ops", "ops@example.com")


def _declare(service: GuestSpec, opts: pulumi.ResourceOptions | None = None) -> None:
    provider = proxmoxve.Provider("pve", endpoint="https://192.0.2.1:8006/")
    bridge = proxmoxve.network.linux.Bridge("br", node_name="pve", name="vmbr1")
    LxcService(
        "livekit",
        LxcServiceArgs(
            service=service,
            hostname="livekit",
            node_name="pve",
            provider=provider,
            connection=command.remote.ConnectionArgs(
                host="192.0.2.1", user="root", private_key=pulumi.Output.secret("key")
            ),
            template_file_id="local:vztmpl/debian.tar.zst",
            os_type="debian",
            datastore="local",
            bridge="vmbr1",
            subnet=IPv4Network("10.0.0.0/24"),
            gateway=IPv4Address("10.0.0.1"),
            dns_servers=[IPv4Address("192.0.2.53")],
            ssh_keys=[ADMIN_KEY],
            after=(bridge,),
        ),
        opts,
    )


SERVICE = GuestSpec(
    host="pve",
    vmId=110,
    address=IPv4Address("10.0.0.10"),
    cores=8,
    memoryMb=16384,
    diskGb=32,
    startOrder=2,
)


def test_container_inputs_match_the_service() -> None:
    resources = by_name(record(lambda: _declare(SERVICE)))
    container = resources["livekit-container"]
    assert container.type == "proxmoxve:index/containerLegacy:ContainerLegacy"
    inputs = container.inputs
    assert inputs["vmId"] == 110
    assert inputs["unprivileged"] is True
    # Nesting only: every other flag is root@pam-only (pve-container check_ct_modify_config_perm).
    assert inputs["features"] == {"nesting": True}
    assert inputs["cpu"] == {"cores": 8}
    assert inputs["memory"] == {"dedicated": 16384, "swap": 0}
    assert inputs["disk"] == {"datastoreId": "local", "size": 32}
    assert inputs["networkInterfaces"] == [{"name": "eth0", "bridge": "vmbr1"}]
    assert inputs["initialization"]["ipConfigs"] == [
        {"ipv4": {"address": "10.0.0.10/24", "gateway": "10.0.0.1"}}
    ]
    assert inputs["initialization"]["hostname"] == "livekit"
    assert inputs["initialization"]["userAccount"] == {"keys": [ADMIN_KEY]}
    assert inputs["initialization"]["dns"] == {"servers": ["192.0.2.53"]}
    assert inputs["startOnBoot"] is True
    assert inputs["startup"] == {"order": 2}
    assert inputs["operatingSystem"] == {
        "templateFileId": "local:vztmpl/debian.tar.zst",
        "type": "debian",
    }


def test_container_is_a_child_with_the_provider_and_ordering() -> None:
    resources = by_name(record(lambda: _declare(SERVICE)))
    component, container = resources["livekit"], resources["livekit-container"]
    assert component.type == "selfhosted:proxmox:LxcService"
    assert container.parent == component.urn
    assert container.provider_urn == resources["pve"].urn
    assert resources["br"].urn in container.dependencies


@pytest.mark.parametrize("stateful", [True, False])
def test_stateful_services_are_protected_twice(stateful: bool) -> None:
    service = SERVICE.model_copy(update={"stateful": stateful})
    container = by_name(record(lambda: _declare(service)))["livekit-container"]
    assert container.protect is stateful
    assert container.inputs["protection"] is stateful
    assert ("stateful" if stateful else "stateless") in container.inputs["tags"]


def test_caller_options_are_not_merged_into_children() -> None:
    resources = by_name(record(lambda: _declare(SERVICE, pulumi.ResourceOptions(protect=True))))
    assert resources["livekit"].protect is True
    assert resources["livekit-container"].protect is False


def test_replace_on_change_and_root_only_fields_are_kept_from_creation() -> None:
    container = by_name(record(lambda: _declare(SERVICE)))["livekit-container"]
    assert container.ignore_changes == list(CONTAINER_IGNORED_AFTER_CREATE)
    assert {
        "initialization.userAccount",
        "operatingSystem.templateFileId",
        "disk.size",
        "features.keyctl",
    } <= set(container.ignore_changes)
    assert "features.nesting" not in container.ignore_changes
    assert "features" not in container.ignore_changes


def test_keys_and_disk_are_host_steps_after_the_container() -> None:
    resources = by_name(record(lambda: _declare(SERVICE)))
    container = resources["livekit-container"]
    keys, disk = resources["livekit-ssh-keys"], resources["livekit-disk"]
    assert keys.inputs["create"] == keys.inputs["update"] == container_keys_script(110, [ADMIN_KEY])
    assert disk.inputs["create"] == disk.inputs["update"] == container_disk_script(110, 32)
    for step in (keys, disk):
        assert step.type == "command:remote:Command"
        assert step.parent == resources["livekit"].urn
        assert container.urn in step.dependencies
        assert is_secret(step.inputs["connection"])
        # A change of keys or size is an update; only a new container (its MAC, which the
        # mocks answer as Proxmox does) runs them again.
        assert step.property_dependencies["triggers"] == [container.urn]
        assert step.inputs["triggers"] == [container_mac(container)]


def container_mac(container: RecordedResource) -> str:
    return str(
        mock_outputs(container.type, container.name, container.inputs)[1]["networkInterfaces"][0][
            "macAddress"
        ]
    )


def test_a_rebuilt_container_is_deleted_first() -> None:
    # Its vmId is fixed, and Proxmox refuses a second container with the same id.
    container = by_name(record(lambda: _declare(SERVICE)))["livekit-container"]
    assert container.delete_before_replace is True
    assert container.id == str(SERVICE.vmId)  # the provider's id is the vmid
