"""Fields each provider replaces a resource for, per resource type this library declares.

Read from the providers' source at the versions uv.lock bridges:
- pulumi-proxmoxve 8.6.0 bridges bpg/terraform-provider-proxmox v0.111.1 (provider/go.mod of
  muhlba91/pulumi-proxmoxve). ``ContainerLegacy`` is ``proxmox_virtual_environment_container``
  (SDKv2, ``ForceNew: true`` and ``customdiff.ForceNewIf``); ``download.File`` and
  ``network.linux.Bridge`` are framework resources (``RequiresReplace`` plan modifiers).
- pulumi-command 1.2.1 (pulumi/pulumi-command): only ``triggers`` carries
  ``provider:"replaceOnChanges"``; any other change is an update (``update``, else ``create``).

Paths are engine property paths (camelCase, as recorded by the mock runtime); ``[]`` stands
for any list index. A path matches itself and everything below it. In SDKv2 a ``ForceNew`` on
a nested block (``TypeList`` with ``MaxItems: 1``) applies to its element count, so the block
appearing or disappearing replaces, and its fields replace only where they say so themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BPG = "bpg/terraform-provider-proxmox@v0.111.1"
CONTAINER_GO = f"{BPG}:proxmoxtf/resource/container/container.go"
DOWNLOAD_GO = f"{BPG}:fwprovider/nodes/resource_download_file.go"
BRIDGE_GO = f"{BPG}:fwprovider/nodes/network/resource_linux_bridge.go"
COMMAND_GO = "pulumi/pulumi-command@v1.2.1:provider/pkg/provider/common/inputs.go"

CONTAINER = "proxmoxve:index/containerLegacy:ContainerLegacy"
DOWNLOAD_FILE = "proxmoxve:download/file:File"
BRIDGE = "proxmoxve:network/linux/bridge:Bridge"
REMOTE_COMMAND = "command:remote:Command"
PROVIDER = "pulumi:providers:proxmoxve"
COMPONENT_PREFIX = "selfhosted:"


def _always(_old: Any, _new: Any) -> bool:
    return True


def _shrinks(old: Any, new: Any) -> bool:
    return isinstance(old, (int, float)) and isinstance(new, (int, float)) and new < old


@dataclass(frozen=True)
class ForceNew:
    path: str
    source: str
    # For conditional rules (customdiff.ForceNewIf): replaced only when this holds.
    when: Callable[[Any, Any], bool] = _always


FORCE_NEW: dict[str, tuple[ForceNew, ...]] = {
    CONTAINER: (
        ForceNew("clone.datastoreId", f"{CONTAINER_GO}:239"),
        ForceNew("clone.nodeName", f"{CONTAINER_GO}:246"),
        ForceNew("clone.full", f"{CONTAINER_GO}:255"),
        ForceNew("clone.vmId", f"{CONTAINER_GO}:268"),
        ForceNew("disk.datastoreId", f"{CONTAINER_GO}:412"),
        ForceNew("initialization.userAccount", f"{CONTAINER_GO}:646 (block), 656 (keys)"),
        ForceNew("initialization.userAccount.keys", f"{CONTAINER_GO}:656"),
        ForceNew("initialization.userAccount.password", f"{CONTAINER_GO}:666"),
        ForceNew("mountPoints[].size", f"{CONTAINER_GO}:810"),
        ForceNew("mountPoints[].volume", f"{CONTAINER_GO}:817"),
        ForceNew("nodeName", f"{CONTAINER_GO}:991"),
        ForceNew("operatingSystem.templateFileId", f"{CONTAINER_GO}:1004"),
        ForceNew("poolId", f"{CONTAINER_GO}:1023"),
        ForceNew("template", f"{CONTAINER_GO}:1094"),
        ForceNew("unprivileged", f"{CONTAINER_GO}:1156"),
        ForceNew("vmId", f"{CONTAINER_GO}:1172 (ForceNewIf the id differs)"),
        ForceNew("disk.size", f"{CONTAINER_GO}:1183 (ForceNewIf it shrinks)", when=_shrinks),
    ),
    DOWNLOAD_FILE: (
        ForceNew("contentType", f"{DOWNLOAD_GO}:225"),
        ForceNew("fileName", f"{DOWNLOAD_GO}:237"),
        ForceNew("datastoreId", f"{DOWNLOAD_GO}:245"),
        ForceNew("nodeName", f"{DOWNLOAD_GO}:252"),
        ForceNew("url", f"{DOWNLOAD_GO}:278"),
        ForceNew("checksum", f"{DOWNLOAD_GO}:286"),
        ForceNew("decompressionAlgorithm", f"{DOWNLOAD_GO}:298"),
        ForceNew("checksumAlgorithm", f"{DOWNLOAD_GO}:326"),
        # `size` replaces only on an upstream or out-of-band size change with overwrite=true
        # (sizeRequiresReplaceModifier, line 262); we set overwrite=false.
    ),
    BRIDGE: (ForceNew("name", f"{BRIDGE_GO}:222"),),
    REMOTE_COMMAND: (ForceNew("triggers", f"{COMMAND_GO}:10"),),
    # Never replaced by us: a provider's inputs are endpoints and credentials, not routine
    # edits; a changed endpoint is a different node and is out of this table's scope.
    PROVIDER: (),
}


# The table covers the Proxmox host layer: the node, its bridge, its guests and the host steps.
# The Docker layer (containers, images, volumes, networks on the guests' engines) is replaced by
# design when a service changes (create-before-delete or delete-before-replace, decided by
# ContainerService) and is not compared here.
SCOPE = ("proxmoxve:", "command:", "pulumi:providers:proxmoxve", "pulumi:providers:command")


def in_scope(resource_type: str) -> bool:
    return resource_type.startswith(SCOPE)


def rules_for(resource_type: str) -> tuple[ForceNew, ...]:
    """The table's rules; an unknown custom type is an error, so new types must be added."""
    if resource_type.startswith(COMPONENT_PREFIX):
        return ()
    try:
        return FORCE_NEW[resource_type]
    except KeyError:
        raise KeyError(
            f"{resource_type} is not in tests/provider_facts/force_new.py: read its provider's "
            "source and add the fields it replaces on"
        ) from None
