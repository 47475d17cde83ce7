"""Fields each provider replaces a resource for, per resource type this library declares.

Read from the providers' source at the versions uv.lock bridges:
- pulumi-proxmoxve 8.6.0 bridges bpg/terraform-provider-proxmox v0.111.1 (provider/go.mod of
  muhlba91/pulumi-proxmoxve). ``ContainerLegacy`` is ``proxmox_virtual_environment_container``
  (SDKv2, ``ForceNew: true`` and ``customdiff.ForceNewIf``); ``download.File`` and
  ``network.linux.Bridge`` are framework resources (``RequiresReplace`` plan modifiers).
- pulumi-command 1.2.1 (pulumi/pulumi-command): only ``triggers`` carries
  ``provider:"replaceOnChanges"``; any other change is an update (``update``, else ``create``).
- pulumi-docker 5.2.0 bridges kreuzwerker/terraform-provider-docker v4.5.0 (SDKv2,
  ``ForceNew: true`` in each resource's schema). The container's fields that are not ForceNew
  are listed in ``DOCKER_CONTAINER_NOT_FORCE_NEW`` with what a change of them does, so every
  input the program sets is accounted for (tests/provider_facts/test_docker_facts.py).

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
KREUZWERKER = "kreuzwerker/terraform-provider-docker@v4.5.0"
DOCKER_CONTAINER_GO = f"{KREUZWERKER}:internal/provider/resource_docker_container.go"
DOCKER_CONTAINER_FUNCS_GO = f"{KREUZWERKER}:internal/provider/resource_docker_container_funcs.go"
DOCKER_IMAGE_GO = f"{KREUZWERKER}:internal/provider/resource_docker_image.go"
DOCKER_VOLUME_GO = f"{KREUZWERKER}:internal/provider/resource_docker_volume.go"
DOCKER_NETWORK_GO = f"{KREUZWERKER}:internal/provider/resource_docker_network.go"

CONTAINER = "proxmoxve:index/containerLegacy:ContainerLegacy"
DOWNLOAD_FILE = "proxmoxve:download/file:File"
BRIDGE = "proxmoxve:network/linux/bridge:Bridge"
REMOTE_COMMAND = "command:remote:Command"
PROVIDER = "pulumi:providers:proxmoxve"
DOCKER_CONTAINER = "docker:index/container:Container"
DOCKER_IMAGE = "docker:index/remoteImage:RemoteImage"
DOCKER_VOLUME = "docker:index/volume:Volume"
DOCKER_NETWORK = "docker:index/network:Network"
DOCKER_PROVIDER = "pulumi:providers:docker"
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
    # Engine property names (camelCase; the Terraform name where it differs).
    DOCKER_CONTAINER: tuple(
        ForceNew(path, f"{DOCKER_CONTAINER_GO}:{line}")
        for path, line in (
            ("name", 54),
            ("image", 145),
            ("command", 167),
            ("user", 185),
            ("capabilities", 266),
            ("securityOpts", 295),
            ("stopSignal", 318),
            ("stopTimeout", 325),
            ("volumes", 438),
            ("ports", 491),
            ("hosts", 541),  # host
            ("ulimits", 565),  # ulimit
            ("envs", 594),  # env
            ("privileged", 660),
            ("labels", 837),
            ("logDriver", 891),
            ("logOpts", 898),
            ("networkMode", 905),
            ("networksAdvanced", 913),
            ("uploads", 991),  # upload
            ("cpus", 1162),
        )
    ),
    DOCKER_IMAGE: (
        ForceNew("name", f"{DOCKER_IMAGE_GO}:40"),
        ForceNew("pullTriggers", f"{DOCKER_IMAGE_GO}:65"),
        ForceNew("triggers", f"{DOCKER_IMAGE_GO}:88"),
        ForceNew("platform", f"{DOCKER_IMAGE_GO}:95"),
    ),
    DOCKER_VOLUME: (
        ForceNew("name", f"{DOCKER_VOLUME_GO}:46"),
        ForceNew("labels", f"{DOCKER_VOLUME_GO}:52"),
        ForceNew("driver", f"{DOCKER_VOLUME_GO}:60"),
        ForceNew("driverOpts", f"{DOCKER_VOLUME_GO}:66"),
    ),
    DOCKER_NETWORK: tuple(
        ForceNew(path, f"{DOCKER_NETWORK_GO}:{line}")
        for path, line in (
            ("name", 29),
            ("labels", 36),
            ("driver", 44),
            ("options", 52),
            ("internal", 61),
            ("attachable", 68),
            ("ingress", 82),
            ("ipamDriver", 90),
            ("ipamOptions", 96),
            ("ipamConfigs", 104),  # ipam_config
        )
    ),
    # registry_auth and the rest are provider configuration, none ForceNew (provider.go:104-162):
    # a changed credential updates the provider; its resources stay.
    DOCKER_PROVIDER: (),
}

# The container inputs the program sets that are not ForceNew, and what a change does: an
# update in place (the provider's Update, funcs.go:1016-1019, calls ContainerUpdate for these),
# or a change of the state alone (the provider has nothing to do on the live container).
DOCKER_CONTAINER_NOT_FORCE_NEW: dict[str, str] = {
    "restart": f"updated in place: {DOCKER_CONTAINER_FUNCS_GO}:1016-1019 (schema line 230)",
    "memory": f"updated in place: {DOCKER_CONTAINER_FUNCS_GO}:1016-1019 (schema line 842)",
    "memorySwap": f"updated in place: {DOCKER_CONTAINER_FUNCS_GO}:1016-1019 (schema line 856)",
    "healthcheck": (
        f"neither ForceNew ({DOCKER_CONTAINER_GO}:1045-1050) nor in Update's list "
        f"({DOCKER_CONTAINER_FUNCS_GO}:1016-1019): the state changes, the container does not; "
        "ContainerService adds replace_on_changes for it"
    ),
    "wait": f"state only: read at create ({DOCKER_CONTAINER_GO}:79)",
    "waitTimeout": f"state only: read at create ({DOCKER_CONTAINER_GO}:86)",
    "destroyGraceSeconds": (
        f"state only: read at delete ({DOCKER_CONTAINER_GO}:827, "
        f"{DOCKER_CONTAINER_FUNCS_GO}:1086-1093)"
    ),
}


# The table covers the Proxmox host layer (the node, its bridge, its guests and the host steps)
# and the Docker layer (engines' providers and networks, containers, images, volumes). Cloud
# servers are not in it yet.
SCOPE = (
    "proxmoxve:",
    "command:",
    "docker:",
    "pulumi:providers:proxmoxve",
    "pulumi:providers:command",
    "pulumi:providers:docker",
)


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
