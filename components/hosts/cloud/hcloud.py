"""A Hetzner Cloud server running Docker, behind a cloud firewall made of the edge openings.

Replacing it (``pulumi up --replace``, or a ForceNew field) deletes the old server first:
server names are unique per project (Hetzner Cloud API reference, "Update a Server": "Server
names must be unique per Project"), so a new server of the same name cannot exist next to the
old one. The volume attachment follows the new server: its ``server_id`` is ForceNew
(internal/volume/resource_attachment.go) and its id is the volume's id, so it is deleted
first as well; a create-before-delete would attach the volume again and then detach it with
the old attachment's delete. Sources: tests/provider_facts/force_new.py.
"""

from __future__ import annotations

import pulumi
import pulumi_hcloud as hcloud

from components import names
from components.hosts.cloud.server import (
    AttachedVolume,
    BuiltServer,
    CloudServer,
    CloudServerArgs,
    ServerParts,
)
from components.spec import HcloudHostSpec

HcloudHostArgs = CloudServerArgs[HcloudHostSpec]


class HcloudHost(CloudServer[HcloudHostSpec]):
    TYPE = "selfhosted:hosts:HcloudHost"
    server: hcloud.Server
    firewall: hcloud.Firewall
    volume: hcloud.Volume | None

    def _admin_key(self, name: str, public_key: str) -> pulumi.Output[str]:
        key = hcloud.SshKey(name, name=name, public_key=public_key, opts=self._child())
        return key.name

    def _existing_key(self, reference: str) -> pulumi.Input[str]:
        # The server takes an id or a name (provider getSSHkeys: hcloud-go SSHKey.Get); a
        # fingerprint is looked up (the provider's hcloud_ssh_key data source).
        if reference.isdigit():
            return reference
        found = hcloud.get_ssh_key_output(
            fingerprint=reference, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        return found.id.apply(str)

    def _server(self, parts: ServerParts[HcloudHostSpec]) -> BuiltServer:
        name, host, rules = parts.name, parts.host, parts.rules
        data_volume_gb = host.dataVolumeGb
        firewall_name = names.child(name, names.FIREWALL)
        self.firewall = hcloud.Firewall(
            firewall_name,
            name=firewall_name,
            rules=[
                hcloud.FirewallRuleArgs(
                    direction="in",
                    protocol=rule.protocol,
                    port=rule.ports,
                    source_ips=rule.sources,
                    description=rule.description,
                )
                for rule in rules
            ],
            opts=self._child(),
        )
        self.volume = None
        device: pulumi.Output[str] | None = None
        if data_volume_gb is not None:
            volume_name = names.child(name, names.DATA)
            self.volume = hcloud.Volume(
                volume_name,
                name=volume_name,
                size=data_volume_gb,
                location=host.location,
                delete_protection=True,
                opts=self._child(protect=True),
            )
            # /dev/disk/by-id/scsi-0HC_Volume_<id>, known once the volume exists.
            device = self.volume.linux_device
        self.server = hcloud.Server(
            names.child(name, names.SERVER),
            name=parts.boot.hostname,
            server_type=host.serverType,
            keep_disk=host.keepDisk,
            image=host.image,
            location=host.location,
            ssh_keys=parts.keys,
            user_data=parts.user_data(device),
            backups=host.backups,
            firewall_ids=[self.firewall.id.apply(int)],
            labels={"managed-by": "selfhosted"},
            # Deleted for good only after a clean shutdown (the provider's default is a hard
            # delete): the databases on it stop the way they do on a reboot.
            shutdown_before_deletion=True,
            # Read at first boot only; the provider replaces the server when they change: a
            # rebuild is an explicit `pulumi up --replace`. The name is unique per project.
            opts=self._child(ignore_changes=["userData", "sshKeys"], delete_before_replace=True),
        )
        self.public_address = self.server.ipv4_address
        built = BuiltServer(after=[self.server, self.firewall])
        if self.volume is not None and device is not None:
            attachment = hcloud.VolumeAttachment(
                names.child(name, names.DATA_ATTACHMENT),
                server_id=self.server.id.apply(int),
                volume_id=self.volume.id.apply(int),
                automount=False,  # cloud-init (or the data volume step) formats and mounts it
                opts=self._child(delete_before_replace=True),
            )
            built = BuiltServer(
                after=[*built.after, attachment],
                volume=AttachedVolume(
                    device=device, volume_id=self.volume.id, attached_by=attachment
                ),
            )
        return built

    def _server_id(self) -> pulumi.Output[str]:
        return self.server.id
