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
- The cloud layer: hetznercloud/terraform-provider-hcloud v1.66.1 and
  digitalocean/terraform-provider-digitalocean v2.96.0 (what the newest pulumi-hcloud and
  pulumi-digitalocean bridge: provider/go.mod of pulumi/pulumi-hcloud 043b347, the `upstream`
  submodule of pulumi/pulumi-digitalocean 0825b75; uv.lock pins pulumi-hcloud 1.43.3 and
  pulumi-digitalocean 4.84.1), hashicorp/terraform-provider-tls v4.2.1 (pulumi-tls).

Paths are engine property paths (camelCase, as recorded by the mock runtime); ``[]`` stands
for any list index. A path matches itself and everything below it. In SDKv2 a ``ForceNew`` on
a nested block (``TypeList`` with ``MaxItems: 1``) applies to its element count, so the block
appearing or disappearing replaces, and its fields replace only where they say so themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.provider_facts.managed_postgres import DO, FORCE_NEW_PATHS

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

HCLOUD = "hetznercloud/terraform-provider-hcloud@v1.66.1"
HCLOUD_SERVER_GO = f"{HCLOUD}:internal/server/resource.go"
DO_DROPLET_GO = f"{DO}:digitalocean/droplet/resource_droplet.go"
DO_VOLUME_GO = f"{DO}:digitalocean/volume/resource_volume.go"
TLS_KEY_GO = "hashicorp/terraform-provider-tls@v4.2.1:internal/provider/resource_private_key.go"

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
HCLOUD_SERVER = "hcloud:index/server:Server"
HCLOUD_SSH_KEY = "hcloud:index/sshKey:SshKey"
HCLOUD_FIREWALL = "hcloud:index/firewall:Firewall"
HCLOUD_VOLUME = "hcloud:index/volume:Volume"
HCLOUD_ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment"
DO_DROPLET = "digitalocean:index/droplet:Droplet"
DO_SSH_KEY = "digitalocean:index/sshKey:SshKey"
DO_FIREWALL = "digitalocean:index/firewall:Firewall"
DO_VOLUME = "digitalocean:index/volume:Volume"
TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
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
    # `name` and `server_type` are updated in place (resourceServerUpdate: a type change
    # powers the server off and changes it, lines 594-610); so are backups, labels, firewalls.
    HCLOUD_SERVER: (
        ForceNew("image", f"{HCLOUD_SERVER_GO}:58"),
        ForceNew("location", f"{HCLOUD_SERVER_GO}:70"),
        ForceNew("datacenter", f"{HCLOUD_SERVER_GO}:76"),
        ForceNew("userData", f"{HCLOUD_SERVER_GO}:83"),
        ForceNew("sshKeys", f"{HCLOUD_SERVER_GO}:106"),
    ),
    HCLOUD_SSH_KEY: (ForceNew("publicKey", f"{HCLOUD}:internal/sshkey/resource.go:72"),),
    HCLOUD_FIREWALL: (),  # internal/firewall/resource.go: name, rules, apply_to all update
    HCLOUD_VOLUME: (ForceNew("location", f"{HCLOUD}:internal/volume/resource.go:46"),),
    HCLOUD_ATTACHMENT: (
        ForceNew("volumeId", f"{HCLOUD}:internal/volume/resource_attachment.go:34"),
        ForceNew("serverId", f"{HCLOUD}:internal/volume/resource_attachment.go:39"),
    ),
    # `size` is a resize in place (PowerOff, Resize, PowerOn: lines 566-600); `volume_ids`
    # attaches and detaches in place.
    DO_DROPLET: (
        ForceNew("image", f"{DO_DROPLET_GO}:69"),
        ForceNew("region", f"{DO_DROPLET_GO}:83"),
        ForceNew("publicNetworking", f"{DO_DROPLET_GO}:217"),
        ForceNew("sshKeys", f"{DO_DROPLET_GO}:235"),
        ForceNew("userData", f"{DO_DROPLET_GO}:245"),
        ForceNew("monitoring", f"{DO_DROPLET_GO}:264"),
        ForceNew("dropletAgent", f"{DO_DROPLET_GO}:271"),
        ForceNew("vpcUuid", f"{DO_DROPLET_GO}:279"),
        ForceNew(
            "ipv6",
            f"{DO_DROPLET_GO}:301 (ForceNewIfChange: turned off)",
            when=lambda old, new: old is True and new is not True,
        ),
    ),
    DO_SSH_KEY: (ForceNew("publicKey", f"{DO}:digitalocean/sshkey/resource_ssh_key.go:40"),),
    DO_FIREWALL: (),  # digitalocean/firewall/resource_firewall.go: no ForceNew field
    DO_VOLUME: (
        ForceNew("region", f"{DO_VOLUME_GO}:32"),
        ForceNew("name", f"{DO_VOLUME_GO}:42"),
        ForceNew("description", f"{DO_VOLUME_GO}:59"),
        ForceNew("snapshotId", f"{DO_VOLUME_GO}:66"),
        ForceNew("initialFilesystemType", f"{DO_VOLUME_GO}:73"),
        ForceNew("initialFilesystemLabel", f"{DO_VOLUME_GO}:83"),
    ),
    TLS_PRIVATE_KEY: (
        ForceNew("algorithm", f"{TLS_KEY_GO}:60"),
        ForceNew("rsaBits", f"{TLS_KEY_GO}:75"),
        ForceNew("ecdsaCurve", f"{TLS_KEY_GO}:84"),
    ),
    "pulumi:providers:hcloud": (),
    "pulumi:providers:digitalocean": (),
    "pulumi:providers:tls": (),
}


# DigitalOcean's managed databases: their own module, merged here so one table answers.
FORCE_NEW.update(
    {
        type_: tuple(ForceNew(path, source) for path, source in rules)
        for type_, rules in FORCE_NEW_PATHS.items()
    }
)


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


# The table covers the host layer (the Proxmox node, its bridge, its guests and the host steps;
# the cloud servers with their keys, firewalls and volumes) and the Docker layer (engines'
# providers and networks, containers, images, volumes).
SCOPE = (
    "proxmoxve:",
    "command:",
    "docker:",
    "hcloud:",
    "digitalocean:",
    "tls:",
    "pulumi:providers:proxmoxve",
    "pulumi:providers:command",
    "pulumi:providers:docker",
    "pulumi:providers:hcloud",
    "pulumi:providers:digitalocean",
    "pulumi:providers:tls",
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
