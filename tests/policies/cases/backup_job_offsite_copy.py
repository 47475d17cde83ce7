"""backup-job-offsite-copy: a backup job names the kind of its off-site repository."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import backup_job, container
from ..fixtures_cloud import BASELINE
from ..harness import RuleCases, fails, passes, unknown

DB = container("db")


def no_copy(name: str, covered: str = "db") -> str:
    return (
        f"Backup job {name} (container {covered}) has no off-site copy: its snapshots stay in "
        "one repository."
    )


CASES = RuleCases(
    stack=BASELINE,
    cases=[
        passes(backup_job(DB, name="pass_sftp", offsite="sftp")),
        passes(backup_job(DB, name="pass_s3", offsite="s3")),
        passes(backup_job(DB, name="pass_rest", offsite="rest")),
        passes(container("pass_not_a_job")),
        fails(backup_job(DB, name="fail_no_offsite", offsite=""), no_copy("fail_no_offsite")),
        fails(
            backup_job(DB, name="fail_offsite_missing", offsite=None),
            no_copy("fail_offsite_missing"),
        ),
        unknown(backup_job(DB, name="unknown_offsite", offsite=UNKNOWN), ".offsite"),
    ],
)
