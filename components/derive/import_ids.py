"""Import ids of what an existing Proxmox host already has: the NAT bridge and the containers.

For ``pulumi import`` when adopting a host built by hand (seed 000). The id formats are the
provider's importers (bpg/terraform-provider-proxmox v0.111.1):
- a Linux bridge: ``<node_name>:<iface>`` (examples/resources/proxmox_network_linux_bridge/
  import.sh; fwprovider/nodes/network/resource_linux_bridge.go, ImportState);
- a container: ``<node_name>/<vm_id>`` (docs/resources/virtual_environment_container.md,
  "Import"; proxmoxtf/resource/container/container.go, parseImportIDWithNodeName).

The template file is not listed: its download replaces an unmanaged file of the same name
(``overwrite_unmanaged``), and an imported one would be replaced anyway, since the import
cannot know the URL it came from (``url`` is RequiresReplace).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components import names
from components.spec import PlatformSpec

BRIDGE_TYPE = "proxmoxve:network/linux/bridge:Bridge"
CONTAINER_TYPE = "proxmoxve:index/containerLegacy:ContainerLegacy"


@dataclass(frozen=True)
class ImportId:
    type: str
    name: str  # the program's resource name
    id: str  # what the provider's importer reads


def import_ids(spec: PlatformSpec) -> list[ImportId]:
    """The NAT bridge and the LXC guests of every Proxmox host of the stack."""
    ids: list[ImportId] = []
    for host_name, host in sorted(spec.proxmox_hosts().items()):
        node = host.nodeName
        ids.append(
            ImportId(BRIDGE_TYPE, names.nat_bridge(host_name), f"{node}:{host.natBridge.name}")
        )
        ids.extend(
            ImportId(CONTAINER_TYPE, names.guest_container(host_name, name), f"{node}/{guest.vmId}")
            for name, guest in spec.guests_of(host_name).items()
        )
    return ids


def fill_import_file(document: dict[str, Any], ids: list[ImportId]) -> tuple[list[str], list[str]]:
    """Fill a ``pulumi preview --import-file`` document with these ids, in place.

    Entries are matched by type and name. Other custom resources (host commands, the template)
    are created by the next ``pulumi up``, not imported, so their entries are removed; component
    and provider entries are kept. Returns the names filled and the names removed.
    """
    by_key = {(item.type, item.name): item.id for item in ids}
    filled: list[str] = []
    removed: list[str] = []
    kept: list[dict[str, Any]] = []
    for entry in document.get("resources", []):
        found = by_key.get((entry.get("type"), entry.get("name")))
        if found is not None:
            entry["id"] = found
            filled.append(entry["name"])
        elif not entry.get("component") and not str(entry.get("type", "")).startswith(
            "pulumi:providers:"
        ):
            removed.append(entry.get("name", "?"))
            continue
        kept.append(entry)
    document["resources"] = kept
    return filled, removed
