"""The metrics contract between what writes a metric and what alerts on it, decided once.

Backup jobs (components/apps/backup.py) write their freshness through the node exporter's
textfile collector; the alert rules (components/apps/prometheus.py) read the same names. A job
publishes its last success time, never an event, so a job that silently stops running is caught
by the staleness alert (DESIGN.md, "Monitoring and backups").
"""

from __future__ import annotations

# The node exporter's textfile collector directory on every machine (mounted read-only into the
# node exporter container, written by host jobs). A job writes `<name>.prom` atomically
# (a temporary file in the same directory, then rename) so the collector never reads half a file.
TEXTFILE_COLLECTOR_DIR = "/var/lib/node-exporter/textfile"

# Unix time of a backup job's last fully successful run (dump, restic backup and, where
# configured, the off-site copy), labelled `service` (the stack's service name) and `machine`.
BACKUP_LAST_SUCCESS_METRIC = "selfhosted_backup_last_success_timestamp_seconds"
# Unix time of the job's last attempt, successful or not, with the same labels.
BACKUP_LAST_ATTEMPT_METRIC = "selfhosted_backup_last_attempt_timestamp_seconds"
