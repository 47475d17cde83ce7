"""A service's backup job on its machine: its backup and restore scripts, installed over SSH.

The component carries what the policy pack reads (policies/docker_container_stateful_backed_up.py
and policies/backup_job_offsite_copy.py): the URN and name of the container it covers, the
machine, the dump method and the off-site repository's kind (empty: none). The scripts hold no
secret (each dump reads its container's own environment), so the step's text stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_command as command

from components import names
from components.apps.backup import BackupJob as JobPlan
from components.docker.engine import DockerEngine
from components.render.backup import job_install_script, job_remove_script

TYPE = "selfhosted:backup:BackupJob"


@dataclass(frozen=True)
class BackupJobArgs:
    job: JobPlan
    engine: DockerEngine
    container_urn: pulumi.Input[str]
    offsite: str  # the off-site repository's kind, "" without one
    schedule: str
    after: Sequence[pulumi.Resource]  # the machine's backup settings, the container


class BackupJob(pulumi.ComponentResource):
    install: command.remote.Command

    def __init__(
        self, name: str, args: BackupJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        job = args.job
        super().__init__(
            TYPE,
            name,
            {
                "container": job.container,
                "containerUrn": args.container_urn,
                "machine": job.machine,
                "method": job.method,
                "offsite": args.offsite,
                "schedule": args.schedule,
            },
            opts,
        )
        engine = args.engine
        script = engine.as_root(job_install_script(job))
        self.install = command.remote.Command(
            names.child(name, names.INSTALL),
            connection=engine.connection,
            create=script,
            update=script,
            delete=engine.as_root(job_remove_script(job)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
        )
        self.register_outputs({})
