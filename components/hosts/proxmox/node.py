"""The Proxmox VE node: API provider, host steps over SSH, storage content and the LXC template.

Facts this relies on (sources in docs/proxmox.md): the provider only talks https and has no
CA option, so a private CA reaches it as ``SSL_CERT_FILE``; a fresh install's ``local`` storage
has no ``rootdir`` content; the template download fails on a file already on the storage
unless ``overwrite_unmanaged`` is set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_command as command
import pulumi_proxmoxve as proxmoxve

from components import names
from components.hosts.connection import ssh_connection
from components.render.host_files import prepare_host_script
from components.render.proxmox_steps import storage_content_script
from components.render.storage_merge import merge_data_script
from components.spec import ProxmoxHostSpec, config_path

# Content types (pve-storage) the stack puts on a storage: templates and container volumes.
TEMPLATE_CONTENT = "vztmpl"
CONTAINER_CONTENT = "rootdir"


def storage_needs(host: ProxmoxHostSpec) -> dict[str, list[str]]:
    """Content types each storage must allow: ``{"local": ["vztmpl", "rootdir"]}`` for prod."""
    needs: dict[str, list[str]] = {host.template.datastore: [TEMPLATE_CONTENT]}
    needs.setdefault(host.containerDatastore, []).append(CONTAINER_CONTENT)
    return needs


@dataclass(frozen=True)
class ProxmoxNodeArgs:
    host: ProxmoxHostSpec
    api_token: pulumi.Input[str]
    ssh_private_key: pulumi.Input[str]


class ProxmoxNode(pulumi.ComponentResource):
    """One Proxmox VE node reached through its API (resources) and SSH (what the API cannot do)."""

    provider: proxmoxve.Provider
    connection: command.remote.ConnectionArgs
    prepared: command.remote.Command
    storage_content: command.remote.Command
    template: proxmoxve.download.File
    template_file_id: pulumi.Output[str]
    # What every container needs first: the storage merge (if any) and the storage content.
    container_prerequisites: tuple[pulumi.Resource, ...]
    node_name: str

    def __init__(
        self, name: str, args: ProxmoxNodeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:proxmox:ProxmoxNode", name, None, opts)
        host = args.host
        self.node_name = host.nodeName
        _warn_unless_ca_bundle_in_use(name, host)
        self.provider = proxmoxve.Provider(
            names.child(name, names.PROVIDER),
            endpoint=str(host.apiEndpoint),
            api_token=pulumi.Output.secret(args.api_token),
            insecure=host.insecureTls,
            ssh=proxmoxve.ProviderSshArgs(
                username=host.sshUser,
                private_key=pulumi.Output.secret(args.ssh_private_key),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.connection = ssh_connection(
            host=str(host.ssh_host),
            user=host.sshUser,
            private_key=args.ssh_private_key,
            host_key=host.sshHostKey,
        )
        storage_steps: list[pulumi.Resource] = []
        if host.mergeDataIntoRoot:
            # The script refuses while any thin volume is in the pool, and a re-run after a
            # failure at any step finishes the merge.
            storage_steps.append(
                command.remote.Command(
                    names.child(name, names.MERGE_DATA),
                    connection=self.connection,
                    create=merge_data_script(host.volumeGroup),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        prepare = prepare_host_script(host.uplinkBridge, host.publicAddress)
        self.prepared = command.remote.Command(
            names.child(name, names.PREPARE),
            connection=self.connection,
            create=prepare,
            update=prepare,
            opts=pulumi.ResourceOptions(parent=self, depends_on=storage_steps),
        )
        # Unconditional and idempotent: a fresh `local` lacks `rootdir`, and the merge (if any)
        # must not be what decides the list. Runs after the merge, which rewrites storages.
        content = storage_content_script(storage_needs(host))
        self.storage_content = command.remote.Command(
            names.child(name, names.STORAGE_CONTENT),
            connection=self.connection,
            create=content,
            update=content,
            opts=pulumi.ResourceOptions(parent=self, depends_on=storage_steps),
        )
        template = host.template
        self.template = proxmoxve.download.File(
            names.child(name, names.TEMPLATE),
            node_name=host.nodeName,
            content_type=TEMPLATE_CONTENT,
            datastore_id=template.datastore,
            url=str(template.url),
            checksum=template.checksum,
            checksum_algorithm=template.checksumAlgorithm,
            # A template already on the storage (an adopted host, a `pveam download`) is
            # replaced by the verified download instead of failing the create; once managed,
            # no upstream size probing re-downloads it behind our back.
            overwrite=False,
            overwrite_unmanaged=True,
            # A new URL or checksum replaces the file. Deleting first keeps a same-named new
            # file from being removed by the old one's delete; containers never read the file
            # after their creation.
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=self.provider,
                depends_on=[self.storage_content],
                delete_before_replace=True,
            ),
        )
        self.template_file_id = self.template.id
        self.container_prerequisites = (*storage_steps, self.storage_content)
        self.register_outputs({"templateFileId": self.template_file_id})


def _warn_unless_ca_bundle_in_use(name: str, host: ProxmoxHostSpec) -> None:
    """The provider has no CA option; the bundle only counts if the CLI runs with it."""
    if host.apiCaBundle is None:
        return
    given = os.environ.get("SSL_CERT_FILE")
    if given is None or Path(given).resolve() != Path(host.apiCaBundle).resolve():
        pulumi.log.warn(
            f"{config_path(('hosts', name, 'apiCaBundle'))} is {host.apiCaBundle}, but "
            f"SSL_CERT_FILE is "
            f"{given or 'not set'}: the Proxmox provider verifies the API against "
            f"SSL_CERT_FILE only; run pulumi with SSL_CERT_FILE={host.apiCaBundle}"
        )
