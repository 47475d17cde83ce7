"""A Hetzner Cloud server running Docker, behind a cloud firewall made of the edge openings."""

from __future__ import annotations

import pulumi
import pulumi_hcloud as hcloud

from components import names
from components.hosts.cloud.server import CloudServer, CloudServerArgs, ServerParts
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

    def _server(self, parts: ServerParts[HcloudHostSpec]) -> list[pulumi.Resource]:
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
            # rebuild is an explicit `pulumi up --replace`.
            opts=self._child(ignore_changes=["userData", "sshKeys"]),
        )
        self.public_address = self.server.ipv4_address
        after: list[pulumi.Resource] = [self.server, self.firewall]
        if self.volume is not None:
            after.append(
                hcloud.VolumeAttachment(
                    names.child(name, names.DATA_ATTACHMENT),
                    server_id=self.server.id.apply(int),
                    volume_id=self.volume.id.apply(int),
                    automount=False,  # cloud-init formats and mounts it
                    opts=self._child(),
                )
            )
        return after

    def _server_id(self) -> pulumi.Output[str]:
        return self.server.id
