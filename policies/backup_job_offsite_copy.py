"""backup-job-offsite-copy: a backup job copies its snapshots off the machine.

A ``selfhosted:backup:BackupJob`` (components/docker/backup_job.py) whose ``offsite`` input is
empty keeps its only copy in the first repository; when that repository is on the machine
(the default), the disk that fails takes the data and its backup together. Advisory: a stack
may have a reason (a test stack, a repository that is itself remote).

Unknown values: an unknown ``offsite`` is deferred (the SDK reports the policy as not run,
advisory, during preview; ``pulumi up`` checks the resolved value).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from lib.rule import each_detail, resource_rule
from lib.types import BACKUP_JOB

RESOURCE_TYPES = (BACKUP_JOB,)


def _details(args: ResourceValidationArgs) -> Iterator[str]:
    if not args.props.get("offsite"):
        yield (
            f"Backup job {args.name} (container {args.props.get('container') or '(none)'}) has "
            "no off-site copy: its snapshots stay in one repository."
        )


backup_job_offsite_copy = resource_rule(
    name="backup-job-offsite-copy",
    rule_id="STK-002",
    resource_types=RESOURCE_TYPES,
    description="Backup jobs copy every snapshot to a second, off-site repository.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set platform:backups.offsite (kind sftp, s3 or rest): every job then runs "
        "`restic copy` to it after each backup (docs/backups.md)."
    ),
    validate=each_detail(_details),
)
