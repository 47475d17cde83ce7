"""A DigitalOcean droplet running Docker, behind a cloud firewall made of the edge openings."""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as digitalocean

from components.docker_engine import DockerEngine
from components.render.cloud_init import digitalocean_volume_device
from components.server_bootstrap import (
    ANYWHERE,
    CloudServerArgs,
    generated_host_key,
    server_engine,
    user_data,
)
from components.spec import DropletHostSpec

DropletHostArgs = CloudServerArgs[DropletHostSpec]


class DropletHost(pulumi.ComponentResource):
    droplet: digitalocean.Droplet
    firewall: digitalocean.Firewall
    volume: digitalocean.Volume | None
    engine: DockerEngine
    public_address: pulumi.Output[str]

    def __init__(
        self, name: str, args: DropletHostArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:hosts:DropletHost", name, None, opts)
        host, boot = args.host, args.boot
        child = pulumi.ResourceOptions(parent=self)
        host_key = generated_host_key(name, self)
        keys = [
            digitalocean.SshKey(
                f"{name}-admin-{index}", name=f"{name}-admin-{index}", public_key=key, opts=child
            )
            for index, key in enumerate(boot.admin_keys)
        ]
        self.volume = None
        device = None
        if host.dataVolumeGb is not None:
            volume_name = f"{name}-data"
            self.volume = digitalocean.Volume(
                f"{name}-data",
                name=volume_name,
                region=host.region,
                size=host.dataVolumeGb,
                description=f"Docker data of {name}",
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            device = digitalocean_volume_device(volume_name)
        self.droplet = digitalocean.Droplet(
            f"{name}-server",
            name=boot.hostname,
            image=host.image,
            region=host.region,
            size=host.size,
            ssh_keys=[key.fingerprint for key in keys],
            user_data=user_data(boot, host_key, device),
            backups=host.backups,
            monitoring=True,
            volume_ids=[self.volume.id] if self.volume is not None else None,
            tags=["selfhosted"],
            opts=pulumi.ResourceOptions(
                parent=self,
                # user_data and ssh_keys are read at first boot only, and the provider replaces
                # the droplet when they change: a rebuild is an explicit `pulumi up --replace`.
                ignore_changes=["userData", "sshKeys"],
            ),
        )
        self.public_address = self.droplet.ipv4_address
        self.firewall = digitalocean.Firewall(
            f"{name}-firewall",
            name=f"{name}-firewall",
            droplet_ids=[self.droplet.id.apply(int)],
            inbound_rules=[
                digitalocean.FirewallInboundRuleArgs(
                    protocol="tcp",
                    port_range="22",
                    source_addresses=[str(network) for network in host.sshAllowedFrom],
                ),
                *(
                    digitalocean.FirewallInboundRuleArgs(
                        protocol=opening.protocol,
                        port_range=str(opening.ports),
                        source_addresses=ANYWHERE,
                    )
                    for opening in args.openings
                ),
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
            opts=child,
        )
        self.engine = server_engine(
            name,
            boot,
            self.public_address,
            host_key,
            has_data_volume=self.volume is not None,
            server_id=self.droplet.id,
            after=[self.firewall],
            parent=self,
        )
        self.register_outputs({"publicAddress": self.public_address})
