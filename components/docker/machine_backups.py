"""A machine's backups: restic from apt, the repositories' settings (a secret), the runner and
the check, with their systemd timers; the jobs (backup_job.py) come after it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_command as command

from components import names
from components.apps.backup import MachineBackups as MachinePlan
from components.docker.engine import DockerEngine
from components.render.backup import RepositorySecrets, machine_install_script
from components.spec.backups import backup_secret_paths


@dataclass(frozen=True)
class MachineBackupsArgs:
    plan: MachinePlan
    engine: DockerEngine
    secret: Callable[[str], pulumi.Output[str]]  # a dotted path under platform:secrets
    after: Sequence[pulumi.Resource] = ()


class MachineBackups(pulumi.ComponentResource):
    install: command.remote.Command

    def __init__(
        self, name: str, args: MachineBackupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("selfhosted:backup:MachineBackups", name, None, opts)
        plan, engine = args.plan, args.engine
        settings = plan.settings
        paths = backup_secret_paths(settings)
        values = pulumi.Output.all(*(args.secret(path) for path in paths))

        def script(resolved: list[str]) -> str:
            found = dict(zip(paths, resolved, strict=True))
            secrets = RepositorySecrets(
                password=found[settings.password.secret],
                offsite_password=(
                    found[settings.offsitePassword.secret] if settings.offsitePassword else None
                ),
                values=found,
            )
            return engine.as_root(machine_install_script(settings, plan.machine, secrets))

        # The script carries the repository password and credentials: a secret, whole.
        text: pulumi.Output[str] = pulumi.Output.secret(values.apply(script))
        self.install = command.remote.Command(
            names.child(name, names.INSTALL),
            connection=engine.connection,
            create=text,
            update=text,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[engine.readiness, *args.after]),
        )
        self.register_outputs({})
