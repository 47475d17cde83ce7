"""What a provider returns beyond an echo of the inputs, for the types where it matters.

Two facts per type, read from the providers' source:
- ``id_from``: the input the provider's id is made of, when it is one (a Proxmox container's id
  IS its vmid), else None: a new id from the API for every new resource. The offline plan's
  mocks (components.plan.recording.mock_outputs) must answer the same.
- ``fresh``: the output paths whose value is new whenever the resource is created again, so a
  replacement changes everything that reads them. A resource's id is fresh unless it is made
  of an input; ``fresh`` lists the others.

Paths as in force_new.py (``[]`` for any index).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.provider_facts.force_new import (
    BPG,
    CONTAINER,
    CONTAINER_GO,
    HCLOUD,
    HCLOUD_ATTACHMENT,
    HCLOUD_VOLUME,
)

PVE_CONFIG_PM = "proxmox/pve-container@94f5585:src/PVE/LXC/Config.pm"


@dataclass(frozen=True)
class Outputs:
    source: str
    id_from: str | None = None
    fresh: tuple[str, ...] = ()
    computed: tuple[str, ...] = ()  # outputs the mocks add (not fresh, but read by the program)


OUTPUTS: dict[str, Outputs] = {
    CONTAINER: Outputs(
        source=(
            f"{CONTAINER_GO}:2272 (containerCreateCustom: d.SetId(strconv.Itoa(vmID))); "
            f"{CONTAINER_GO}:2118-2120 (a MAC is sent only when set), {PVE_CONFIG_PM}:1574-1577 "
            "(parse_lxc_network: an interface without hwaddr gets random_ether_addr), "
            f"{CONTAINER_GO}:3202-3206 (containerRead reads mac_address back); "
            f"{BPG} is what pulumi-proxmoxve 8.6.0 bridges"
        ),
        id_from="vmId",
        fresh=("networkInterfaces[].macAddress",),
    ),
    HCLOUD_ATTACHMENT: Outputs(
        source=(
            f"{HCLOUD}:internal/volume/resource_attachment.go:83 "
            "(d.SetId(util.FormatID(volume.ID)): a volume attaches to one server at a time)"
        ),
        id_from="volumeId",
    ),
    HCLOUD_VOLUME: Outputs(
        source=(
            f"{HCLOUD}:internal/volume/resource.go:63 (linux_device, computed; the API's "
            "/dev/disk/by-id/scsi-0HC_Volume_<id>)"
        ),
        computed=("linuxDevice",),
    ),
}


def outputs_of(resource_type: str) -> Outputs:
    return OUTPUTS.get(resource_type, Outputs(source="a new id from the API"))
