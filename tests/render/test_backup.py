"""The backup renders, checked by real tools: shellcheck on every script of every stack's jobs
(and of the engines no stack has yet: MongoDB, MySQL, InfluxDB), systemd-analyze on the units,
and the shape of the MongoDB commands, whose server cannot run here."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from components.apps.backup import MONGODB, MYSQL, BackupJob
from components.derive.plan import stack_plan
from components.render.backup import (
    LIB_DIR,
    MONGO_DUMP,
    MONGO_RESTORE,
    RepositorySecrets,
    backup_script,
    docker_access,
    job_install_script,
    machine_files,
    machine_install_script,
    restore_script,
)
from components.spec.backups import backup_secret_paths
from tests.stacks import STACKS as ALL_STACKS
from tests.stacks import stack_spec
from tests.tools import tool

# Every stack file with platform:backups.
STACKS = tuple(s for s in ALL_STACKS if stack_spec(s).backups is not None)


def _jobs() -> list[tuple[str, BackupJob]]:
    found = []
    for stack in STACKS:
        for machine in stack_plan(stack_spec(stack)).backups.values():
            found += [(stack, job) for job in machine.jobs]
    extra = [
        BackupJob("docs-mongo", "m", "docs-mongo", MONGODB, "mongo:7.0", (("d", "/data/db"),)),
        BackupJob("legacy-mysql", "m", "legacy-mysql", MYSQL, "mysql:8.4", ()),
        BackupJob("metrics", "m", "metrics", "influxdb", "influxdb:1.8.10", ()),
    ]
    return found + [("extra", job) for job in extra]


JOBS = _jobs()


def _shellcheck(text: str, path: Path, shell: str) -> None:
    path.write_text(text)
    checked = subprocess.run(
        [tool("shellcheck"), "-s", shell, "-x", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize(("stack", "job"), JOBS, ids=[f"{s}-{j.service}" for s, j in JOBS])
def test_job_scripts_pass_shellcheck(stack: str, job: BackupJob, tmp_path: Path) -> None:
    access = docker_access(job)
    _shellcheck(backup_script(job, access), tmp_path / "backup", "bash")
    _shellcheck(restore_script(job, access), tmp_path / "restore", "bash")
    _shellcheck(job_install_script(job), tmp_path / "install", "sh")


def _secrets(stack: str) -> tuple[object, RepositorySecrets]:
    spec = stack_spec(stack)
    assert spec.backups is not None
    values = {path: f"example-{path}" for path in backup_secret_paths(spec.backups)}
    return spec.backups, RepositorySecrets(password="pw", offsite_password="opw", values=values)


@pytest.mark.parametrize("stack", STACKS)
def test_machine_scripts_pass_shellcheck(stack: str, tmp_path: Path) -> None:
    settings, secrets = _secrets(stack)
    for machine in stack_plan(stack_spec(stack)).backups:
        _shellcheck(machine_install_script(settings, machine, secrets), tmp_path / "i", "sh")  # type: ignore[arg-type]
        for file in machine_files(settings, machine):  # type: ignore[arg-type]
            if file.executable:
                _shellcheck(file.text, tmp_path / Path(file.path).name, "bash")


@pytest.mark.parametrize("stack", STACKS)
def test_units_verify(stack: str, tmp_path: Path) -> None:
    settings, _ = _secrets(stack)
    machine = next(iter(stack_plan(stack_spec(stack)).backups))
    units = []
    for file in machine_files(settings, machine):  # type: ignore[arg-type]
        name = Path(file.path).name
        if file.executable:
            # ExecStart must exist for verify: the same script, under the test's directory.
            (tmp_path / name).write_text(file.text)
            (tmp_path / name).chmod(0o755)
            continue
        (tmp_path / name).write_text(file.text.replace(LIB_DIR, str(tmp_path)))
        units.append(str(tmp_path / name))
    result = subprocess.run(
        [tool("systemd-analyze"), "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"},
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_secrets_only_in_the_machine_step() -> None:
    settings, secrets = _secrets("hub")
    script = machine_install_script(settings, "hub", secrets)  # type: ignore[arg-type]
    # hub: the repository passwords, and the S3 keys in restic.sh.
    held = [
        secrets.password,
        secrets.offsite_password,
        secrets.values["backups.s3AccessKeyId"],
        secrets.values["backups.s3SecretAccessKey"],
    ]
    for value in held:
        assert (value is not None and f"{value}\n" in script) or f"={value}\n" in script
    for _, job in JOBS:
        text = job_install_script(job)
        assert not any(value and value in text for value in held)


def _argv(snippet: str, env: dict[str, str], tmp_path: Path) -> list[str]:
    """The argv the snippet gives ``mongodump``/``mongorestore``, recorded by a stand-in on
    PATH that prints it (MongoDB's tools are not in Debian 12)."""
    for name in ("mongodump", "mongorestore"):
        recorder = tmp_path / name
        recorder.write_text('#!/bin/sh\nprintf \'%s\\n\' "$0" "$@"\n')
        recorder.chmod(0o755)
    words = shlex.split(snippet)
    out = subprocess.run(
        words,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", **env},
    ).stdout.splitlines()
    return [Path(out[0]).name, *out[1:]]


def test_mongodb_commands_shape(tmp_path: Path) -> None:
    # mongodump/mongorestore flags (mongo-tools 100.x, docs mongodb.com/docs/database-tools):
    # --archive with no value streams to stdout / reads stdin; --gzip compresses the archive.
    assert _argv(MONGO_DUMP, {}, tmp_path) == ["mongodump", "--quiet", "--archive", "--gzip"]
    auth = {"MONGO_INITDB_ROOT_USERNAME": "root", "MONGO_INITDB_ROOT_PASSWORD": "p w"}
    assert _argv(MONGO_DUMP, auth, tmp_path) == [
        "mongodump",
        "--quiet",
        "--archive",
        "--gzip",
        "--username",
        "root",
        "--password",
        "p w",
        "--authenticationDatabase",
        "admin",
    ]
    assert _argv(MONGO_RESTORE, auth, tmp_path) == [
        "mongorestore",
        "--quiet",
        "--archive",
        "--gzip",
        "--drop",
        "--username",
        "root",
        "--password",
        "p w",
        "--authenticationDatabase",
        "admin",
    ]
