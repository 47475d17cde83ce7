"""An existing server with Docker, reached over SSH with a pinned host key (host kind ``ssh``).

The program creates nothing on the server but its containers and the admin user's
authorized_keys (replaced whole by platform:adminSshKeys after the readiness, as on a cloud
server: components/hosts/admin_keys.py); its firewall is the operator's: the edge openings a
stack derives for it are printed by the plan as what to allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_command as command

from components import names
from components.docker.engine import DockerEngine, DockerEngineArgs
from components.hosts.access import ServerAccess
from components.hosts.admin_keys import authorized_keys_step
from components.hosts.connection import ssh_connection
from components.render.readiness import Readiness, readiness_command
from components.spec import SshHostSpec


@dataclass(frozen=True, kw_only=True)
class ExistingServerArgs(ServerAccess):
    host: SshHostSpec


class ExistingServer(pulumi.ComponentResource):
    engine: DockerEngine
    ssh_keys: command.remote.Command
    public_address: str

    def __init__(
        self, name: str, args: ExistingServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:hosts:ExistingServer", name, None, opts)
        host = args.host
        self.public_address = str(host.address)
        connection = ssh_connection(
            host=self.public_address,
            port=host.sshPort,
            user=host.adminUser,
            private_key=args.private_key,
            host_key=host.sshHostKey,
        )
        self.engine = DockerEngine(
            names.child(name, names.ENGINE),
            DockerEngineArgs(
                alias=name,
                hostname=self.public_address,
                user=host.adminUser,
                port=host.sshPort,
                host_key=host.sshHostKey,
                private_key=args.private_key,
                readiness_connection=connection,
                readiness_script=readiness_command(Readiness(wait_for_cloud_init=False)),
                project_dir=args.project_dir,
                stack=args.stack,
                networks=args.networks,
                registry_auth=args.registry_auth,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.ssh_keys = authorized_keys_step(
            name,
            connection=connection,
            keys=args.admin_keys,
            private_key=args.private_key,
            secret_path=args.private_key_path,
            after=[self.engine.readiness],
            triggers=None,
            parent=self,
        )
        self.register_outputs({"publicAddress": self.public_address})
