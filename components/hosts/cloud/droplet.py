"""A DigitalOcean droplet running Docker, behind a cloud firewall made of the edge openings.

A droplet with a data volume is replaced by deleting it first: a volume is attached to one
droplet at a time (DigitalOcean API reference, Block Storage Actions: "Each volume may only be
attached to a single Droplet"), so a new droplet listing it in ``volume_ids`` cannot be
created while the old one holds it; the provider's delete detaches it
(resource_droplet.go ``detachVolumesFromDroplet``). Droplet names need not be unique, so
without a volume the replacement is created first. Sources: tests/provider_facts/force_new.py.
"""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as digitalocean

from components import names
from components.hosts.cloud.server import (
    ANYWHERE,
    AttachedVolume,
    BuiltServer,
    CloudServer,
    CloudServerArgs,
    ServerParts,
)
from components.render.cloud_init import digitalocean_volume_device
from components.spec import DropletHostSpec

DropletHostArgs = CloudServerArgs[DropletHostSpec]


class DropletHost(CloudServer[DropletHostSpec]):
    TYPE = "selfhosted:hosts:DropletHost"
    droplet: digitalocean.Droplet
    firewall: digitalocean.Firewall
    volume: digitalocean.Volume | None

    def _admin_key(self, name: str, public_key: str) -> pulumi.Output[str]:
        key = digitalocean.SshKey(name, name=name, public_key=public_key, opts=self._child())
        return key.fingerprint

    def _existing_key(self, reference: str) -> pulumi.Input[str]:
        # The droplet takes an id or a fingerprint as they are (resource_droplet.go
        # expandSshKeys: a number is an id, anything else a fingerprint).
        return reference

    def _server(self, parts: ServerParts[DropletHostSpec]) -> BuiltServer:
        name, host, rules = parts.name, parts.host, parts.rules
        data_volume_gb = host.dataVolumeGb
        self.volume = None
        device = None
        if data_volume_gb is not None:
            volume_name = names.child(name, names.DATA)
            self.volume = digitalocean.Volume(
                volume_name,
                name=volume_name,
                region=host.region,
                size=data_volume_gb,
                description=f"Docker data of {name}",
                opts=self._child(protect=True),
            )
            device = digitalocean_volume_device(volume_name)
        self.droplet = digitalocean.Droplet(
            names.child(name, names.SERVER),
            name=parts.boot.hostname,
            image=host.image,
            region=host.region,
            size=host.size,
            resize_disk=host.resizeDisk,
            ssh_keys=parts.keys,
            user_data=parts.user_data(device),
            backups=host.backups,
            monitoring=True,
            volume_ids=[self.volume.id] if self.volume is not None else None,
            tags=["selfhosted"],
            # Deleted only after a clean shutdown (the provider's default is a hard delete).
            graceful_shutdown=True,
            # user_data and ssh_keys are read at first boot only, and the provider replaces the
            # droplet when they change: a rebuild is an explicit `pulumi up --replace`.
            opts=self._child(
                ignore_changes=["userData", "sshKeys"],
                delete_before_replace=self.volume is not None,
            ),
        )
        self.public_address = self.droplet.ipv4_address
        firewall_name = names.child(name, names.FIREWALL)
        self.firewall = digitalocean.Firewall(
            firewall_name,
            name=firewall_name,
            droplet_ids=[self.droplet.id.apply(int)],
            inbound_rules=[
                digitalocean.FirewallInboundRuleArgs(
                    protocol=rule.protocol, port_range=rule.ports, source_addresses=rule.sources
                )
                for rule in rules
            ],
            outbound_rules=[
                digitalocean.FirewallOutboundRuleArgs(
                    protocol=protocol, port_range="1-65535", destination_addresses=ANYWHERE
                )
                for protocol in ("tcp", "udp")
            ]
            + [
                digitalocean.FirewallOutboundRuleArgs(
                    protocol="icmp", destination_addresses=ANYWHERE
                )
            ],
            opts=self._child(),
        )
        volume = None
        if self.volume is not None and device is not None:
            volume = AttachedVolume(
                device=device, volume_id=self.volume.id, attached_by=self.droplet
            )
        return BuiltServer(after=[self.firewall], volume=volume)

    def _server_id(self) -> pulumi.Output[str]:
        return self.droplet.id
