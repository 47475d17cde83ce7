"""The Proxmox VE node: API provider, host preparation over SSH, and the LXC template."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_command as command
import pulumi_proxmoxve as proxmoxve

from components.render.host_files import prepare_host_script
from components.render.storage_merge import merge_data_script
from components.spec import ProxmoxHostSpec


@dataclass(frozen=True)
class ProxmoxNodeArgs:
    host: ProxmoxHostSpec
    api_token: pulumi.Input[str]
    ssh_private_key: pulumi.Input[str]
    # LVM volume group holding `root` and the `data` pool (the Proxmox installer's `pve`).
    volume_group: str = "pve"


class ProxmoxNode(pulumi.ComponentResource):
    """One Proxmox VE node reached through its API (resources) and SSH (what the API cannot do)."""

    provider: proxmoxve.Provider
    connection: command.remote.ConnectionArgs
    prepared: command.remote.Command
    template: proxmoxve.download.File
    template_file_id: pulumi.Output[str]
    node_name: str

    def __init__(
        self, name: str, args: ProxmoxNodeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:proxmox:ProxmoxNode", name, None, opts)
        host = args.host
        self.node_name = host.nodeName
        self.provider = proxmoxve.Provider(
            f"{name}-provider",
            endpoint=str(host.apiEndpoint),
            api_token=pulumi.Output.secret(args.api_token),
            insecure=host.insecureTls,
            ssh=proxmoxve.ProviderSshArgs(
                username=host.sshUser,
                private_key=pulumi.Output.secret(args.ssh_private_key),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.connection = command.remote.ConnectionArgs(
            host=str(host.ssh_host),
            user=host.sshUser,
            private_key=pulumi.Output.secret(args.ssh_private_key),
            host_key=host.sshHostKey,
        )
        steps: list[pulumi.Resource] = []
        if host.mergeDataIntoRoot:
            # The script refuses while any thin volume is in the pool, and a re-run after a
            # failure at any step finishes the merge.
            steps.append(
                command.remote.Command(
                    f"{name}-merge-data",
                    connection=self.connection,
                    create=merge_data_script(args.volume_group),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        prepare = prepare_host_script(host.uplinkBridge, host.publicAddress)
        self.prepared = command.remote.Command(
            f"{name}-prepare",
            connection=self.connection,
            create=prepare,
            update=prepare,
            opts=pulumi.ResourceOptions(parent=self, depends_on=steps),
        )
        template = host.template
        self.template = proxmoxve.download.File(
            f"{name}-template",
            node_name=host.nodeName,
            content_type="vztmpl",
            datastore_id=template.datastore,
            url=str(template.url),
            checksum=template.checksum,
            checksum_algorithm=template.checksumAlgorithm if template.checksum else None,
            overwrite=False,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        self.template_file_id = self.template.id
        self.register_outputs({"templateFileId": self.template_file_id})
