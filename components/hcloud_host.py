"""A Hetzner Cloud server running Docker, behind a cloud firewall made of the edge openings."""

from __future__ import annotations

import pulumi
import pulumi_hcloud as hcloud

from components.docker_engine import DockerEngine
from components.server_bootstrap import (
    ANYWHERE,
    CloudServerArgs,
    generated_host_key,
    server_engine,
    user_data,
)
from components.spec import HcloudHostSpec

HcloudHostArgs = CloudServerArgs[HcloudHostSpec]


class HcloudHost(pulumi.ComponentResource):
    server: hcloud.Server
    firewall: hcloud.Firewall
    volume: hcloud.Volume | None
    engine: DockerEngine
    public_address: pulumi.Output[str]

    def __init__(
        self, name: str, args: HcloudHostArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:hosts:HcloudHost", name, None, opts)
        host, boot = args.host, args.boot
        child = pulumi.ResourceOptions(parent=self)
        host_key = generated_host_key(name, self)
        keys = [
            hcloud.SshKey(
                f"{name}-admin-{index}", name=f"{name}-admin-{index}", public_key=key, opts=child
            )
            for index, key in enumerate(boot.admin_keys)
        ]
        self.firewall = hcloud.Firewall(
            f"{name}-firewall",
            name=f"{name}-firewall",
            rules=[
                hcloud.FirewallRuleArgs(
                    direction="in",
                    protocol="tcp",
                    port="22",
                    source_ips=[str(network) for network in host.sshAllowedFrom],
                    description="SSH from the admin networks",
                ),
                *(
                    hcloud.FirewallRuleArgs(
                        direction="in",
                        protocol=opening.protocol,
                        port=str(opening.ports),
                        source_ips=ANYWHERE,
                        description=f"{opening.service}: {opening.config_path}",
                    )
                    for opening in args.openings
                ),
            ],
            opts=child,
        )
        self.volume = None
        device: pulumi.Output[str] | None = None
        if host.dataVolumeGb is not None:
            self.volume = hcloud.Volume(
                f"{name}-data",
                name=f"{name}-data",
                size=host.dataVolumeGb,
                location=host.location,
                delete_protection=True,
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            # /dev/disk/by-id/scsi-0HC_Volume_<id>, known once the volume exists.
            device = self.volume.linux_device
        self.server = hcloud.Server(
            f"{name}-server",
            name=boot.hostname,
            server_type=host.serverType,
            image=host.image,
            location=host.location,
            ssh_keys=[key.name for key in keys],
            user_data=user_data(boot, host_key, device),
            backups=host.backups,
            firewall_ids=[self.firewall.id.apply(int)],
            labels={"managed-by": "selfhosted"},
            opts=pulumi.ResourceOptions(
                parent=self,
                # Read at first boot only; the provider replaces the server when they change:
                # a rebuild is an explicit `pulumi up --replace`.
                ignore_changes=["userData", "sshKeys"],
            ),
        )
        after: list[pulumi.Resource] = [self.server, self.firewall]
        if self.volume is not None:
            after.append(
                hcloud.VolumeAttachment(
                    f"{name}-data-attachment",
                    server_id=self.server.id.apply(int),
                    volume_id=self.volume.id.apply(int),
                    automount=False,  # cloud-init formats and mounts it
                    opts=child,
                )
            )
        self.public_address = self.server.ipv4_address
        self.engine = server_engine(
            name,
            boot,
            self.public_address,
            host_key,
            has_data_volume=self.volume is not None,
            server_id=self.server.id,
            after=after,
            parent=self,
        )
        self.register_outputs({"publicAddress": self.public_address})
