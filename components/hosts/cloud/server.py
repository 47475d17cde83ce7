"""The one base of every server the program creates (a droplet, a Hetzner Cloud server).

``CloudServer`` declares what they share, in this order: a generated SSH host key, the admin
keys in the account, an optional protected data volume, the server with its first-boot
cloud-init, a cloud firewall made of SSH from the admin networks plus the edge openings, the
data volume step, the Docker engine that waits for all of it, and the step that keeps the
admin user's authorized_keys equal to platform:adminSshKeys after that. A provider's subclass
says only how each of those is spelt in its API.

Keys in the account. DigitalOcean answers a second key with the same fingerprint with 422 "SSH
Key is already in use on your account" (digitalocean/packer-plugin-digitalocean#113 shows the
API's answer) and Hetzner Cloud with "SSH key with the same fingerprint already exists
(uniqueness_error)" (hetznercloud/terraform-provider-hcloud#12; hcloud-go hcloud/error.go
``ErrorCodeUniquenessError``). The admin's key is usually in the account already, and two
stacks in one account share keys; so the operator lists those keys in ``existingSshKeys`` (id
or MD5 fingerprint, the form both providers show), an admin key whose fingerprint is listed is
not uploaded, and every uploaded key is named by its fingerprint (``names.admin_key``): adding
or removing one key creates or deletes that key alone (``public_key`` is ForceNew in both
providers, so a key whose name moved to another key would be replaced).

Rebuilds. ``pulumi up --replace`` of a server boots it with the user-data and keys of its first
creation (both are ``ignore_changes``: the engine keeps their old values, pulumi/pulumi#2657);
the steps after it carry the current config: the data volume step sets a volume up that the
old user-data did not know, and the keys step writes today's keys. Both run again on a new
server (their ``triggers`` hold the server's id, a new one per server).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

import pulumi
import pulumi_command as command
import pulumi_tls as tls

from components import names
from components.derive import EdgeOpening
from components.docker.engine import DockerEngine, DockerEngineArgs
from components.hosts.access import ServerAccess
from components.hosts.admin_keys import authorized_keys_step
from components.hosts.connection import ssh_connection
from components.render.cloud_init import (
    DATA_MOUNT,
    DataVolume,
    DockerServerInit,
    HostKeyPair,
    cloud_init_user_data,
)
from components.render.readiness import Readiness, readiness_command
from components.render.server_steps import as_root, data_volume_script
from components.render.ssh_keys import md5_fingerprint
from components.spec import CloudServerSpec

H = TypeVar("H", bound=CloudServerSpec)


@dataclass(frozen=True)
class CloudServerArgs(Generic[H]):
    """What a cloud server component is given: its spec, its first boot, its edge openings."""

    host: H
    boot: ServerBootstrap
    openings: Sequence[EdgeOpening]


# Every IPv4 and IPv6 source: what a cloud firewall's public ports are open to.
ANYWHERE = ["0.0.0.0/0", "::/0"]


@dataclass(frozen=True, kw_only=True)
class ServerBootstrap(ServerAccess):
    """A created server's access, plus what its first boot names: hostname and admin user."""

    hostname: str
    admin_user: str


def generated_host_key(name: str, parent: pulumi.Resource) -> tls.PrivateKey:
    """The server's ed25519 host key: generated here, kept in state as a secret, and installed
    by cloud-init, so the first SSH connection is already pinned."""
    return tls.PrivateKey(
        names.child(name, names.HOST_KEY),
        algorithm="ED25519",
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["privateKeyOpenssh"]),
    )


def user_data(
    boot: ServerBootstrap,
    host_key: tls.PrivateKey,
    volume_device: pulumi.Input[str] | None = None,
) -> pulumi.Output[str]:
    """cloud-init user-data; a secret, since it carries the host's private key."""
    text = pulumi.Output.all(
        private=host_key.private_key_openssh,
        public=host_key.public_key_openssh,
        device=volume_device,
    ).apply(
        lambda values: cloud_init_user_data(
            DockerServerInit(
                hostname=boot.hostname,
                admin_user=boot.admin_user,
                admin_keys=tuple(boot.admin_keys),
                host_key=HostKeyPair(
                    private_openssh=values["private"], public_openssh=values["public"].strip()
                ),
                data_volume=(
                    DataVolume(device=values["device"]) if values["device"] is not None else None
                ),
            )
        )
    )
    return pulumi.Output.secret(text)


def server_connection(
    boot: ServerBootstrap, address: pulumi.Input[str], host_key: tls.PrivateKey
) -> command.remote.ConnectionArgs:
    """How the program's steps reach the server: the admin user, the pinned host key."""
    return ssh_connection(
        host=address,
        user=boot.admin_user,
        private_key=boot.private_key,
        host_key=host_key.public_key_openssh,
    )


def server_engine(
    name: str,
    boot: ServerBootstrap,
    address: pulumi.Input[str],
    host_key: tls.PrivateKey,
    *,
    connection: command.remote.ConnectionArgs,
    server_id: pulumi.Input[str],
    has_data_volume: bool,
    after: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> DockerEngine:
    return DockerEngine(
        names.child(name, names.ENGINE),
        DockerEngineArgs(
            alias=name,
            hostname=address,
            user=boot.admin_user,
            host_key=host_key.public_key_openssh,
            private_key=boot.private_key,
            readiness_connection=connection,
            readiness_script=readiness_command(
                Readiness(
                    wait_for_cloud_init=True,
                    data_mount=DATA_MOUNT if has_data_volume else None,
                )
            ),
            project_dir=boot.project_dir,
            stack=boot.stack,
            networks=boot.networks,
            after=after,
            machine_id=server_id,
            registry_auth=boot.registry_auth,
        ),
        pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class InboundRule:
    """One inbound rule of a cloud firewall, as both providers take it."""

    protocol: str
    ports: str
    sources: list[str]
    description: str


def inbound_rules(host: CloudServerSpec, openings: Sequence[EdgeOpening]) -> list[InboundRule]:
    """SSH from the admin networks only, then every edge opening from anywhere."""
    return [
        InboundRule(
            "tcp",
            "22",
            [str(network) for network in host.sshAllowedFrom],
            "SSH from the admin networks",
        ),
        *(
            InboundRule(o.protocol, str(o.ports), ANYWHERE, f"{o.service}: {o.config_path}")
            for o in openings
        ),
    ]


@dataclass(frozen=True)
class ServerParts(Generic[H]):
    """What a provider's subclass declares its server from."""

    name: str
    host: H
    boot: ServerBootstrap
    keys: list[pulumi.Input[str]]  # how the server refers to each key in the account
    host_key: tls.PrivateKey
    rules: list[InboundRule]

    def user_data(self, volume_device: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
        return user_data(self.boot, self.host_key, volume_device)


@dataclass(frozen=True)
class AttachedVolume:
    """A data volume as the server sees it: its device, and what attaches it."""

    device: pulumi.Input[str]
    volume_id: pulumi.Input[str]
    attached_by: pulumi.Resource  # the attachment, or the server that lists the volume


@dataclass(frozen=True)
class BuiltServer:
    """What a subclass's ``_server`` declared: what the engine waits for, and the volume."""

    after: list[pulumi.Resource]
    volume: AttachedVolume | None = None


def account_keys(host: CloudServerSpec, admin_keys: Sequence[str]) -> dict[str, str]:
    """The admin keys to upload, ``{fingerprint: key}``: every one whose fingerprint is not
    listed in ``existingSshKeys`` (those are in the account already)."""
    listed = set(host.existingSshKeys)
    return {
        fingerprint: key
        for key in admin_keys
        if (fingerprint := md5_fingerprint(key)) not in listed
    }


class CloudServer(pulumi.ComponentResource, Generic[H]):
    """A server of a cloud provider; subclasses implement the provider's resources."""

    TYPE: ClassVar[str]
    engine: DockerEngine
    public_address: pulumi.Output[str]
    ssh_keys: command.remote.Command
    data_volume: command.remote.Command | None

    def __init__(
        self, name: str, args: CloudServerArgs[H], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        host, boot = args.host, args.boot
        host_key = generated_host_key(name, self)
        keys: list[pulumi.Input[str]] = [
            self._admin_key(names.admin_key(name, fingerprint), key)
            for fingerprint, key in account_keys(host, boot.admin_keys).items()
        ]
        keys += [self._existing_key(reference) for reference in host.existingSshKeys]
        built = self._server(
            ServerParts(
                name=name,
                host=host,
                boot=boot,
                keys=keys,
                host_key=host_key,
                rules=inbound_rules(host, args.openings),
            )
        )
        connection = server_connection(boot, self.public_address, host_key)
        server_id = self._server_id()
        after = list(built.after)
        self.data_volume = None
        if built.volume is not None:
            self.data_volume = self._data_volume_step(
                name, connection, built.volume, server_id, built.after
            )
            after.append(self.data_volume)
        self.engine = server_engine(
            name,
            boot,
            self.public_address,
            host_key,
            connection=connection,
            has_data_volume=built.volume is not None,
            server_id=server_id,
            after=after,
            parent=self,
        )
        self.ssh_keys = authorized_keys_step(
            name,
            connection=connection,
            keys=boot.admin_keys,
            private_key=boot.private_key,
            secret_path=boot.private_key_path,
            after=[self.engine.readiness],
            # A rebuilt server booted with its first creation's keys: write today's again.
            triggers=[server_id],
            parent=self,
        )
        self.register_outputs({"publicAddress": self.public_address})

    def _data_volume_step(
        self,
        name: str,
        connection: command.remote.ConnectionArgs,
        volume: AttachedVolume,
        server_id: pulumi.Output[str],
        after: list[pulumi.Resource],
    ) -> command.remote.Command:
        """``<host>-data-volume``: sets the volume up when cloud-init did not (see module)."""
        script = pulumi.Output.from_input(volume.device).apply(
            lambda device: as_root(data_volume_script(DataVolume(device=device)))
        )
        return command.remote.Command(
            names.child(name, names.DATA_VOLUME),
            connection=connection,
            create=script,
            update=script,
            # A new server or a new volume: set it up again.
            triggers=[server_id, volume.volume_id],
            opts=self._child(depends_on=[*after, volume.attached_by]),
        )

    def _child(self, **options: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **options)  # type: ignore[arg-type]

    def _admin_key(self, name: str, public_key: str) -> pulumi.Output[str]:
        """Upload one admin key; returns how the server refers to it."""
        raise NotImplementedError

    def _existing_key(self, reference: str) -> pulumi.Input[str]:
        """How the server refers to a key already in the account (an id or a fingerprint)."""
        raise NotImplementedError

    def _server(self, parts: ServerParts[H]) -> BuiltServer:
        """Declare the server, its firewall and its data volume (``host.dataVolumeGb``); set
        ``public_address``; return what the engine waits for and the attached volume."""
        raise NotImplementedError

    def _server_id(self) -> pulumi.Output[str]:
        raise NotImplementedError
