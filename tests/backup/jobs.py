"""The generated backup and restore scripts of one job, written and run against real restic
repositories: a local one (the plan's default) and an off-site one behind ``rclone serve
restic`` (kind ``rest``). Everything a script reads comes from the renderers the plan uses."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from components.apps.backup import BackupJob
from components.render.backup import (
    Access,
    Paths,
    RepositorySecrets,
    backup_script,
    check_script,
    restore_script,
    runner_script,
    secret_files,
)
from components.spec.backups import BackupsSpec, LocalRepository, RestRepository
from components.spec.common import SecretRef

from .servers import rest_server, scratch

MACHINE = "testbox"


@dataclass
class Repositories:
    root: Path
    settings: BackupsSpec
    paths: Paths
    offsite_dir: Path

    @property
    def primary_dir(self) -> Path:
        return self.root / "repo" / MACHINE

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "RESTIC_CACHE_DIR": str(self.root / "cache")}

    def restic(self, which: str, *args: str) -> str:
        """restic on one repository, with the generated settings (as the scripts run it)."""
        script = f'. {self.paths.conf_dir}/restic.sh; restic "${{{which}[@]}}" "$@"'
        proc = subprocess.run(
            ["bash", "-c", script, "restic", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def write(self, job: BackupJob, access: Access) -> tuple[Path, Path]:
        backup = Path(self.paths.jobs_dir) / f"{job.service}.backup"
        restore = Path(self.paths.jobs_dir) / f"{job.service}.restore"
        backup.write_text(backup_script(job, access, self.paths))
        restore.write_text(restore_script(job, access, self.paths))
        backup.chmod(0o700)
        restore.chmod(0o700)
        return backup, restore

    def run(
        self, script: Path, *args: str, env: Mapping[str, str] = {}, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(script), *args],
            capture_output=True,
            text=True,
            env={**self.env, **env},
            timeout=600,
            check=False,
        )
        if check:
            assert proc.returncode == 0, f"{script.name} exited {proc.returncode}:\n{proc.stderr}"
        return proc

    def runner(self) -> Path:
        path = self.root / "run-all"
        path.write_text(runner_script(self.settings, MACHINE, self.paths))
        path.chmod(0o700)
        return path

    def checker(self) -> Path:
        path = self.root / "check"
        path.write_text(check_script(self.settings, MACHINE, self.paths))
        path.chmod(0o700)
        return path

    def metric(self, service: str, kind: str) -> str | None:
        path = Path(self.paths.textfile_dir) / f"selfhosted_backup_{service}_{kind}.prom"
        return path.read_text() if path.exists() else None

    def snapshots(self, which: str, *args: str) -> list[str]:
        """Paths of the snapshots in a repository (one line per snapshot)."""
        out = self.restic(which, "snapshots", "--json", *args)
        return re.findall(r'"paths":\["([^"]*)"\]', out)


@contextmanager
def repositories(*, offsite: bool = True) -> Iterator[Repositories]:
    """A local repository, and (``offsite``) a second one behind ``rclone serve restic``."""
    with scratch("backup-repos-") as root:
        offsite_dir = root / "offsite"
        offsite_dir.mkdir()
        with rest_server(offsite_dir) if offsite else nullcontext("") as url:
            settings = BackupsSpec(
                repository=LocalRepository(kind="local", path=str(root / "repo")),
                password=SecretRef(secret="backups.password"),
                offsite=RestRepository(kind="rest", url=url) if offsite else None,
                offsitePassword=SecretRef(secret="backups.offsitePassword"),
            )
            conf = root / "conf"
            conf.mkdir(mode=0o700)
            paths = Paths(
                conf_dir=str(conf),
                jobs_dir=str(root / "jobs"),
                lock_file=str(root / "lock"),
                textfile_dir=str(root / "textfile"),
            )
            (root / "jobs").mkdir()
            secrets = RepositorySecrets(password="primary-pw", offsite_password="offsite-pw")
            for file in secret_files(settings, MACHINE, secrets, str(conf)):
                Path(file.path).write_text(file.text)
                Path(file.path).chmod(0o600)
            yield Repositories(root, settings, paths, offsite_dir)
