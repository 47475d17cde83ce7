"""The backup jobs' files: a backup and a restore script per job, the machine's runner, check
and restic settings, and their systemd units (pure).

Each job streams its dumps into restic (``dump | restic backup --stdin``): no dump ever lands in
a file. Debian 12's restic is 0.14, without ``--stdin-from-command`` (0.17), which would fail
the backup when the dump fails; a plain ``--stdin`` stores whatever arrived, an empty or
half dump included, as a snapshot. So the job guarantees it itself:

- every snapshot of a run carries the tags ``job=<service>`` and ``run=<time>``; a run ends by
  storing its manifest (``/<service>/manifest``: the paths of the run) only after every dump and
  its restic exited 0 (bash ``pipefail`` and ``PIPESTATUS``, both sides of each pipe);
- a failure forgets every snapshot of the run (``forget --tag job=..,run=..``), exits non-zero
  and leaves the success metric as it was; only the attempt metric moves;
- restores and retention go through manifests: a restore reads the latest (or a chosen) run's
  manifest and dumps exactly that run's snapshots; retention keeps manifests by
  ``--keep-daily/weekly/monthly`` (grouped by host and path) and forgets every run without a
  kept manifest (a run killed before its manifest, or one whose manifest was forgotten), then
  prunes. Tags survive ``restic copy``, so the off-site repository is restored and pruned the
  same way.

Where a command runs is a parameter (``Access``): the plan's is the service's container
(``docker exec -i <container>``; ``docker stop``/``start`` around a file-level job); the tests
pass their own to reach real servers started on the test machine.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from components.apps import prometheus
from components.apps.backup import (
    ALERTMANAGER,
    INFLUXDB,
    MARIADB,
    MONGODB,
    MYSQL,
    POSTGRES,
    PROMETHEUS,
    REDIS,
    VOLUMES,
    BackupJob,
)
from components.metrics import (
    BACKUP_LAST_ATTEMPT_METRIC,
    BACKUP_LAST_SUCCESS_METRIC,
    TEXTFILE_COLLECTOR_DIR,
)
from components.spec.backups import (
    BackupsSpec,
    LocalRepository,
    RestRepository,
    S3Repository,
    SftpRepository,
)
from components.spec.images import (
    POSTGRES_DEFAULT_USER,
    POSTGRES_PASSWORD_ENV,
    POSTGRES_USER_ENV,
)

from .host_files import HostFile

LIB_DIR = "/usr/local/lib/selfhosted-backup"
JOBS_DIR = f"{LIB_DIR}/jobs"
CONF_DIR = "/etc/selfhosted-backup"
LOCK_FILE = "/run/selfhosted-backup.lock"
CACHE_DIR = "/var/cache/restic"
UNIT = "selfhosted-backup"
CHECK_UNIT = "selfhosted-backup-check"
UNIT_DIR = "/etc/systemd/system"
# How long a job waits for another job or the check to release the repository lock.
LOCK_WAIT_S = 3600
# How long a Redis BGSAVE may take before the job gives up.
BGSAVE_WAIT_S = 3600

Repository = LocalRepository | SftpRepository | S3Repository | RestRepository


@dataclass(frozen=True)
class Access:
    """How a job reaches its service: ``exec`` runs a command where the service runs; ``stop``
    and ``start`` stop and start its writer; ``volume_dirs`` maps a volume to its directory on
    the machine (a volume not listed is looked up with ``docker volume inspect``)."""

    exec: tuple[str, ...]
    stop: tuple[str, ...]
    start: tuple[str, ...]
    volume_dirs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Paths:
    """Where the machine keeps the job's settings, lock and metrics (the tests use their own)."""

    conf_dir: str = CONF_DIR
    jobs_dir: str = JOBS_DIR
    lock_file: str = LOCK_FILE
    textfile_dir: str = TEXTFILE_COLLECTOR_DIR


def docker_access(job: BackupJob) -> Access:
    """The plan's access: the job's container on its machine's Docker engine."""
    return Access(
        exec=("docker", "exec", "-i", job.container),
        # No --time: the daemon waits the container's own stop timeout (its stopGraceSeconds).
        stop=("docker", "stop", job.container),
        start=("docker", "start", job.container),
    )


def _array(name: str, words: Sequence[str]) -> str:
    return f"{name}=({' '.join(shlex.quote(w) for w in words)})"


def _sh(script: str) -> str:
    """A POSIX sh snippet run where the service runs: ``sh -c '<snippet>' sh``."""
    return f"sh -c {shlex.quote(script)} sh"


# -- what runs where the service runs (sh: the images have no bash) -------------------------------

_PG_ENV = (  # the image's superuser (components/spec/images.py)
    f'export PGPASSWORD="${{{POSTGRES_PASSWORD_ENV}:-}}"; '
    f'u="${{{POSTGRES_USER_ENV}:-{POSTGRES_DEFAULT_USER}}}"; '
)
PG_LIST = _sh(
    _PG_ENV + 'exec psql -X -At -U "$u" -d postgres -c '
    '"select datname from pg_database where datallowconn and not datistemplate order by 1"'
)
PG_DUMP = _sh(_PG_ENV + 'exec pg_dump -Fc -U "$u" -d "$1"')
PG_GLOBALS = _sh(_PG_ENV + 'exec pg_dumpall --globals-only -U "$u"')
PG_RESTORE = _sh(
    _PG_ENV + "set -e; "
    'if ! psql -X -At -U "$u" -d postgres -c "select datname from pg_database" | '
    'grep -qxF "$1"; then createdb -U "$u" "$1"; fi; '
    'exec pg_restore --clean --if-exists -U "$u" -d "$1"'
)
PG_RESTORE_GLOBALS = _sh(_PG_ENV + 'exec psql -X -q -U "$u" -d postgres')

_MY_PWD = 'export MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
_MY_OPTIONS = "--single-transaction --quick --all-databases --routines --events --triggers"


def _my_dump(client: str) -> str:
    return _sh(_MY_PWD + f"exec {client} -uroot {_MY_OPTIONS}")


def _my_restore(client: str) -> str:
    return _sh(_MY_PWD + f"exec {client} -uroot")


_MONGO_AUTH = (
    'set --; if [ -n "${MONGO_INITDB_ROOT_USERNAME:-}" ]; then set -- --username '
    '"$MONGO_INITDB_ROOT_USERNAME" --password "${MONGO_INITDB_ROOT_PASSWORD:-}" '
    "--authenticationDatabase admin; fi; "
)
MONGO_DUMP = _sh(_MONGO_AUTH + 'exec mongodump --quiet --archive --gzip "$@"')
MONGO_RESTORE = _sh(_MONGO_AUTH + 'exec mongorestore --quiet --archive --gzip --drop "$@"')

REDIS_SNAPSHOT = _sh(
    'if [ -n "${REDIS_PASSWORD:-}" ]; then export REDISCLI_AUTH="$REDIS_PASSWORD"; fi; '
    # redis-cli exits 0 on an error reply (NOAUTH...): every answer is checked.
    'before=$(redis-cli LASTSAVE) || exit 1; case "$before" in ""|*[!0-9]*) '
    'echo "LASTSAVE answered: $before" >&2; exit 1 ;; esac; '
    # LASTSAVE counts seconds: a save in this same second would look like no save at all.
    '[ "$before" -lt "$(date +%s)" ] || sleep 1; '
    'started=$(redis-cli BGSAVE SCHEDULE) || exit 1; case "$started" in "Background saving"*) ;; '
    '*) echo "BGSAVE answered: $started" >&2; exit 1 ;; esac; waited=0; '
    'while [ "$(redis-cli LASTSAVE)" = "$before" ]; do '
    f'if [ "$waited" -ge {BGSAVE_WAIT_S} ]; then '
    f'echo "BGSAVE did not finish in {BGSAVE_WAIT_S}s" >&2; exit 1; fi; '
    "sleep 1; waited=$((waited + 1)); done; "
    "if ! redis-cli INFO persistence | grep -q '^rdb_last_bgsave_status:ok'; then "
    'echo "BGSAVE failed: see the Redis log" >&2; exit 1; fi; '
    "dir=$(redis-cli CONFIG GET dir | sed -n 2p); "
    'file=$(redis-cli CONFIG GET dbfilename | sed -n 2p); exec cat "$dir/$file"'
)

INFLUX_DUMP = _sh(
    "d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT; "
    'influxd backup -portable "$d" >&2 || exit 1; tar -C "$d" -cf - .'
)
# Prometheus's snapshot (its image is busybox's: wget, not curl); the answer names the
# snapshot, a directory under the data directory's snapshots/.
PROM_SNAPSHOT = _sh(
    f"exec wget -qO- --post-data= http://127.0.0.1:{prometheus.PORT}/api/v1/admin/tsdb/snapshot"
)
# Alertmanager's state files under its --storage.path (cmd/alertmanager/main.go:249,275 of
# v0.27.0: the notification log and the silences).
ALERTMANAGER_FILES = ("nflog", "silences")
INFLUX_RESTORE = _sh(
    "d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT; "
    'tar -C "$d" -xf - || exit 1; influxd restore -portable "$d" >&2'
)


# -- the bash the machine runs ---------------------------------------------------------------------

_LIBRARY = r"""
log() { printf 'backup %s: %s\n' "$SERVICE" "$*" >&2; }
primary() { restic "${PRIMARY[@]}" "$@"; }
offsite() { restic "${OFFSITE[@]}" "$@"; }

ensure_repository() {
    if ! "$1" cat config > /dev/null 2>&1; then
        "$1" init > /dev/null
        log "initialised the $1 repository"
    fi
}

# The textfile collector reads *.prom: write a dot file in the same directory, then rename.
write_metric() {
    local kind=$1 metric=$2 file tmp
    file="$TEXTFILE_DIR/selfhosted_backup_${SERVICE}_${kind}.prom"
    mkdir -p "$TEXTFILE_DIR"
    tmp=$(mktemp "$TEXTFILE_DIR/.selfhosted_backup_${SERVICE}.XXXXXX")
    printf '# TYPE %s gauge\n%s{service="%s",machine="%s"} %s\n' \
        "$metric" "$metric" "$SERVICE" "$MACHINE" "$(date +%s)" > "$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$file"
}

volume_dir() {
    if [ -n "${VOLUME_DIRS[$1]:-}" ]; then
        printf '%s\n' "${VOLUME_DIRS[$1]}"
    else
        docker volume inspect --format '{{ .Mountpoint }}' "$1"
    fi
}

# ids REPO TAGS: the ids of the machine's snapshots with every one of TAGS (a,b).
ids() {
    "$1" snapshots --host "$MACHINE" --tag "$2" --json | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4
}

# forget_tagged REPO TAGS: forget those snapshots (forget without a policy needs their ids).
forget_tagged() {
    local found
    mapfile -t found < <(ids "$1" "$2")
    if [ "${#found[@]}" -gt 0 ]; then
        "$1" forget --quiet "${found[@]}" > /dev/null
    fi
}

# The lock is fd 9, closed for every command that may leave a process behind (a started
# service must never hold it).
lock() {
    exec 9> "$LOCK"
    if ! flock -w "$LOCK_WAIT" 9; then
        log "another backup or check held $LOCK for ${LOCK_WAIT}s"
        exit 1
    fi
}
"""

_BACKUP_MAIN = r"""
RUN="run=$(date -u +%Y%m%dT%H%M%SZ)"
PATHS=()
COMPLETE=0
STOPPED=0

# stream PATH COMMAND...: COMMAND's output stored as one snapshot at /PATH; both sides of the
# pipe must exit 0, or the run fails.
stream() {
    local path=$1
    shift
    set +e
    "$@" | primary backup --stdin --stdin-filename "$path" --host "$MACHINE" \
        --tag "job=$SERVICE" --tag "$RUN" --quiet > /dev/null
    local status=("${PIPESTATUS[@]}")
    set -e
    if [ "${status[0]}" -ne 0 ] || [ "${status[1]}" -ne 0 ]; then
        log "/$path: the dump exited ${status[0]}, restic backup ${status[1]}"
        exit 1
    fi
    PATHS+=("/$path")
}

finish() {
    local rc=$?
    if [ "$STOPPED" -eq 1 ]; then
        "${START[@]}" > /dev/null 9>&- || { log "could not start the service again"; rc=1; }
    fi
    if [ "$COMPLETE" -ne 1 ]; then
        # No manifest: nothing of this run may be restored or counted; forget what it stored.
        if forget_tagged primary "job=$SERVICE,$RUN"; then
            log "failed; the snapshots of $RUN were forgotten"
        else
            log "failed; forgetting the snapshots of $RUN failed too: the next retention does"
        fi
        [ "$rc" -ne 0 ] || rc=1
    fi
    exit "$rc"
}

lock
write_metric attempt "$ATTEMPT_METRIC"
ensure_repository primary
trap finish EXIT
trap 'exit 143' TERM INT
dump
printf '%s\n' "${PATHS[@]}" | primary backup --stdin --stdin-filename "$SERVICE/manifest" \
    --host "$MACHINE" --tag "job=$SERVICE" --tag "$RUN" --quiet > /dev/null
COMPLETE=1
if [ "${#OFFSITE[@]}" -gt 0 ]; then
    ensure_repository offsite
    # Every complete run of the job not there yet (one whose copy failed before, too).
    offsite copy "${COPY_FROM[@]}" --host "$MACHINE" --tag "job=$SERVICE" --quiet > /dev/null
fi
write_metric success "$SUCCESS_METRIC"
log "$RUN stored: ${PATHS[*]}"
"""

_RESTORE_MAIN = r"""
usage() {
    echo "usage: $0 [--offsite] [--list | RUN]" >&2
    echo "  RUN: run=YYYYMMDDTHHMMSSZ, as --list shows it; default: the latest" >&2
    exit 2
}
REPO=primary
if [ "${1:-}" = --offsite ]; then
    REPO=offsite
    shift
    [ "${#OFFSITE[@]}" -gt 0 ] || { log "no off-site repository is configured"; exit 2; }
fi
case "${1:-}" in
--list)
    "$REPO" snapshots --host "$MACHINE" --path "/$SERVICE/manifest"
    exit 0
    ;;
-*) usage ;;
esac
lock
if [ -n "${1:-}" ]; then
    RUN=$1
else
    RUN=$("$REPO" snapshots --host "$MACHINE" --path "/$SERVICE/manifest" --latest 1 --json |
        grep -o '"run=[^"]*"' | tr -d '"' | head -n 1)
    [ -n "$RUN" ] || { log "no complete backup of $SERVICE on $MACHINE"; exit 1; }
fi
# fetch PATH: the snapshot of the run at PATH, on stdout.
fetch() {
    "$REPO" dump --host "$MACHINE" --tag "job=$SERVICE,$RUN" --path "$1" latest "$1"
}
mapfile -t PATHS < <(fetch "/$SERVICE/manifest")
[ "${#PATHS[@]}" -gt 0 ] || { log "$RUN has no manifest"; exit 1; }
log "restoring $RUN: ${PATHS[*]}"
restore
log "restored $RUN"
"""

_DUMP_FUNCTIONS: dict[str, str] = {
    POSTGRES: rf"""
dump() {{
    local list databases db
    list=$("${{EXEC[@]}}" {PG_LIST}) || {{ log "listing the databases failed"; exit 1; }}
    mapfile -t databases <<< "$list"
    stream "$SERVICE/globals.sql" "${{EXEC[@]}}" {PG_GLOBALS}
    for db in "${{databases[@]}}"; do
        case "$db" in
        *[!A-Za-z0-9_.-]*) log "database name '$db' is not one the job can name"; exit 1 ;;
        esac
        stream "$SERVICE/$db.pgdump" "${{EXEC[@]}}" {PG_DUMP} "$db"
    done
}}
""",
    MARIADB: rf"""
dump() {{
    stream "$SERVICE/all-databases.sql" "${{EXEC[@]}}" {_my_dump("mariadb-dump")}
}}
""",
    MYSQL: rf"""
dump() {{
    stream "$SERVICE/all-databases.sql" "${{EXEC[@]}}" {_my_dump("mysqldump")}
}}
""",
    MONGODB: rf"""
dump() {{
    stream "$SERVICE/archive.gz" "${{EXEC[@]}}" {MONGO_DUMP}
}}
""",
    REDIS: rf"""
dump() {{
    stream "$SERVICE/dump.rdb" "${{EXEC[@]}}" {REDIS_SNAPSHOT}
}}
""",
    INFLUXDB: rf"""
dump() {{
    stream "$SERVICE/portable.tar" "${{EXEC[@]}}" {INFLUX_DUMP}
}}
""",
    # The snapshot holds hard links of the blocks, which no compaction changes: read while
    # Prometheus keeps scraping and evaluating. A failed run's snapshot is removed by the next.
    PROMETHEUS: rf"""
dump() {{
    local dir answer name
    dir=$(volume_dir "$DATA_VOLUME")
    rm -rf "$dir/snapshots"
    answer=$("${{EXEC[@]}}" {PROM_SNAPSHOT}) || {{ log "the snapshot request failed"; exit 1; }}
    name=$(printf '%s' "$answer" | grep -o '"name":"[^"]*"' | cut -d'"' -f4)
    case "$name" in
    "" | *[!A-Za-z0-9-]*) log "no snapshot name in Prometheus's answer: $answer"; exit 1 ;;
    esac
    stream "$SERVICE/tsdb.tar" tar -C "$dir/snapshots/$name" --numeric-owner -cf - .
    rm -rf "$dir/snapshots"
}}
""",
    # Each file is replaced by a rename, never written in place: cat reads a whole one. A file
    # Alertmanager has not written yet, or an empty one (no notification sent), is left out.
    ALERTMANAGER: rf"""
dump() {{
    local dir file
    dir=$(volume_dir "$DATA_VOLUME")
    for file in {" ".join(ALERTMANAGER_FILES)}; do
        if [ -s "$dir/$file" ]; then
            stream "$SERVICE/$file" cat "$dir/$file"
        fi
    done
}}
""",
    VOLUMES: r"""
dump() {
    local volume dir
    "${STOP[@]}" > /dev/null 9>&-
    STOPPED=1
    for volume in "${VOLUMES[@]}"; do
        dir=$(volume_dir "$volume")
        stream "$SERVICE/$volume.tar" tar -C "$dir" --numeric-owner -cf - .
    done
    "${START[@]}" > /dev/null 9>&-
    STOPPED=0
}
""",
}

_RESTORE_FUNCTIONS: dict[str, str] = {
    POSTGRES: rf"""
restore() {{
    local path db
    fetch "/$SERVICE/globals.sql" | "${{EXEC[@]}}" {PG_RESTORE_GLOBALS}
    for path in "${{PATHS[@]}}"; do
        case "$path" in
        *.pgdump)
            db=$(basename "$path" .pgdump)
            fetch "$path" | "${{EXEC[@]}}" {PG_RESTORE} "$db"
            ;;
        esac
    done
}}
""",
    MARIADB: rf"""
restore() {{
    fetch "${{PATHS[0]}}" | "${{EXEC[@]}}" {_my_restore("mariadb")}
}}
""",
    MYSQL: rf"""
restore() {{
    fetch "${{PATHS[0]}}" | "${{EXEC[@]}}" {_my_restore("mysql")}
}}
""",
    MONGODB: rf"""
restore() {{
    fetch "${{PATHS[0]}}" | "${{EXEC[@]}}" {MONGO_RESTORE}
}}
""",
    # The RDB goes where Redis loads it from: dump.rdb, and, when the data directory holds a
    # Redis 7 AOF directory, as that directory's only base file (with appendonly yes Redis
    # loads the AOF and ignores dump.rdb; the newer incr files would replay on top).
    REDIS: r"""
restore() {
    local dir owner
    dir=$(volume_dir "$DATA_VOLUME")
    fetch "${PATHS[0]}" > "$dir/.restore.rdb"
    "${STOP[@]}" > /dev/null 9>&-
    owner=$(stat -c %u:%g "$dir")
    if [ -d "$dir/appendonlydir" ]; then
        rm -rf "$dir/appendonlydir"
        mkdir "$dir/appendonlydir"
        cp "$dir/.restore.rdb" "$dir/appendonlydir/appendonly.aof.1.base.rdb"
        printf 'file appendonly.aof.1.base.rdb seq 1 type b\n' \
            > "$dir/appendonlydir/appendonly.aof.manifest"
        chown -R "$owner" "$dir/appendonlydir"
    fi
    chown "$owner" "$dir/.restore.rdb"
    mv -f "$dir/.restore.rdb" "$dir/dump.rdb"
    "${START[@]}" > /dev/null 9>&-
}
""",
    INFLUXDB: rf"""
restore() {{
    fetch "${{PATHS[0]}}" | "${{EXEC[@]}}" {INFLUX_RESTORE}
}}
""",
    # The snapshot is a data directory: blocks only, the WAL starts empty.
    PROMETHEUS: r"""
restore() {
    local dir
    dir=$(volume_dir "$DATA_VOLUME")
    "${STOP[@]}" > /dev/null 9>&-
    find "$dir" -mindepth 1 -delete
    fetch "${PATHS[0]}" | tar -C "$dir" --numeric-owner -xpf -
    "${START[@]}" > /dev/null 9>&-
}
""",
    ALERTMANAGER: rf"""
restore() {{
    local dir owner path file
    dir=$(volume_dir "$DATA_VOLUME")
    "${{STOP[@]}}" > /dev/null 9>&-
    owner=$(stat -c %u:%g "$dir")
    for file in {" ".join(ALERTMANAGER_FILES)}; do
        rm -f "${{dir:?}}/$file"
    done
    for path in "${{PATHS[@]}}"; do
        [ -n "$path" ] || continue
        file=$(basename "$path")
        fetch "$path" > "$dir/$file"
        chown "$owner" "$dir/$file"
    done
    "${{START[@]}}" > /dev/null 9>&-
}}
""",
    VOLUMES: r"""
restore() {
    local path volume dir
    "${STOP[@]}" > /dev/null 9>&-
    for path in "${PATHS[@]}"; do
        volume=$(basename "$path" .tar)
        dir=$(volume_dir "$volume")
        find "$dir" -mindepth 1 -delete
        fetch "$path" | tar -C "$dir" --numeric-owner -xpf -
    done
    "${START[@]}" > /dev/null 9>&-
}
""",
}


def _header(job: BackupJob, access: Access, paths: Paths, what: str) -> str:
    dirs = " ".join(
        f"[{shlex.quote(name)}]={shlex.quote(path)}" for name, path in access.volume_dirs.items()
    )
    return f"""\
#!/bin/bash
# {what} of {job.service} ({job.method}) on {job.machine}, managed by Pulumi (selfhosted-platform).
# Generated: components/render/backup.py; how to use it: docs/backups.md.
# SC2016: the single-quoted snippets are expanded by the service's own sh, on purpose.
# SC2034: every job gets every parameter; each method reads the ones it needs.
# shellcheck disable=SC2016,SC2034
set -euo pipefail
SERVICE={shlex.quote(job.service)}
MACHINE={shlex.quote(job.machine)}
LOCK={shlex.quote(paths.lock_file)}
LOCK_WAIT={LOCK_WAIT_S}
TEXTFILE_DIR={shlex.quote(paths.textfile_dir)}
SUCCESS_METRIC={BACKUP_LAST_SUCCESS_METRIC}
ATTEMPT_METRIC={BACKUP_LAST_ATTEMPT_METRIC}
{_array("EXEC", access.exec)}
{_array("STOP", access.stop)}
{_array("START", access.start)}
{_array("VOLUMES", [name for name, _ in job.volumes])}
DATA_VOLUME={shlex.quote(job.data_volume or "")}
declare -A VOLUME_DIRS=({dirs})
# PRIMARY, OFFSITE and COPY_FROM: restic's arguments for each repository (a secret file).
# shellcheck source=/dev/null
. {shlex.quote(paths.conf_dir)}/restic.sh
"""


def backup_script(job: BackupJob, access: Access, paths: Paths = Paths()) -> str:
    """The job's backup: dumps streamed into restic, its manifest, the off-site copy, metrics."""
    return (
        _header(job, access, paths, "Backup")
        + _LIBRARY
        + _DUMP_FUNCTIONS[job.method]
        + _BACKUP_MAIN
    )


def restore_script(job: BackupJob, access: Access, paths: Paths = Paths()) -> str:
    """The job's restore: ``[--offsite] [--list | RUN]``, the latest complete run by default."""
    return (
        _header(job, access, paths, "Restore")
        + _LIBRARY
        + _RESTORE_FUNCTIONS[job.method]
        + _RESTORE_MAIN
    )


# -- the machine: restic settings, runner, check, units --------------------------------------------


@dataclass(frozen=True)
class RepositorySecrets:
    """The secret values the machine's restic settings hold (resolved at apply time)."""

    password: str
    offsite_password: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)  # dotted secret path -> value


def _location(repository: Repository, machine: str, secrets: RepositorySecrets) -> str:
    if isinstance(repository, LocalRepository):
        return f"{repository.path}/{machine}"
    if isinstance(repository, SftpRepository):
        return f"sftp:{repository.user}@{repository.host}:{repository.path}/{machine}"
    if isinstance(repository, S3Repository):
        return f"s3:{repository.endpoint}/{repository.bucket}/{repository.prefix}/{machine}"
    scheme, _, rest = repository.url.partition("://")
    credentials = ""
    if repository.username is not None:
        password = secrets.values[repository.password.secret] if repository.password else ""
        credentials = (
            f"{repository.username}:{password}@" if password else f"{repository.username}@"
        )
    return f"rest:{scheme}://{credentials}{rest}/{machine}"


def _key_file(conf_dir: str, role: str) -> str:
    return f"{conf_dir}/{role}-ssh-key"


def _options(repository: Repository, conf_dir: str, role: str) -> list[str]:
    if not isinstance(repository, SftpRepository):
        return []
    command = (
        f"ssh -i {_key_file(conf_dir, role)} -p {repository.port} -o IdentitiesOnly=yes "
        f"-o UserKnownHostsFile={conf_dir}/{role}-known-hosts -o StrictHostKeyChecking=yes "
        f"-o BatchMode=yes {repository.user}@{repository.host} -s sftp"
    )
    return ["-o", f"sftp.command={command}"]


def restic_settings(
    settings: BackupsSpec, machine: str, secrets: RepositorySecrets, conf_dir: str = CONF_DIR
) -> str:
    """``restic.sh``, sourced by every script: the repositories' arguments and credentials."""
    primary = [
        "-r",
        _location(settings.repository, machine, secrets),
        "--password-file",
        f"{conf_dir}/password",
        *_options(settings.repository, conf_dir, "primary"),
    ]
    offsite: list[str] = []
    copy_from: list[str] = []
    if settings.offsite is not None:
        offsite = [
            "-r",
            _location(settings.offsite, machine, secrets),
            "--password-file",
            f"{conf_dir}/offsite-password",
            *_options(settings.offsite, conf_dir, "offsite"),
            *_options(settings.repository, conf_dir, "primary"),
        ]
        copy_from = ["--from-repo", primary[1], "--from-password-file", f"{conf_dir}/password"]
    exports = [f'export RESTIC_CACHE_DIR="${{RESTIC_CACHE_DIR:-{CACHE_DIR}}}"']
    for repository in (settings.repository, settings.offsite):
        if isinstance(repository, S3Repository):
            exports += [
                "export AWS_ACCESS_KEY_ID="
                + shlex.quote(secrets.values[repository.accessKeyId.secret]),
                "export AWS_SECRET_ACCESS_KEY="
                + shlex.quote(secrets.values[repository.secretAccessKey.secret]),
            ]
    lines = [
        "# restic's arguments for each repository, managed by Pulumi. Secret: mode 0600.",
        _array("PRIMARY", primary),
        _array("OFFSITE", offsite),
        _array("COPY_FROM", copy_from),
        *exports,
    ]
    return "# shellcheck shell=bash disable=SC2034\n" + "\n".join(lines) + "\n"


def secret_files(
    settings: BackupsSpec, machine: str, secrets: RepositorySecrets, conf_dir: str = CONF_DIR
) -> list[HostFile]:
    """Every file holding a secret: restic.sh, the passwords, SFTP keys and pinned host keys."""
    files = [
        HostFile(f"{conf_dir}/restic.sh", restic_settings(settings, machine, secrets, conf_dir)),
        HostFile(f"{conf_dir}/password", secrets.password),
    ]
    if settings.offsite is not None:
        files.append(
            HostFile(f"{conf_dir}/offsite-password", secrets.offsite_password or secrets.password)
        )
    for role, repository in (("primary", settings.repository), ("offsite", settings.offsite)):
        if isinstance(repository, SftpRepository):
            key = secrets.values[repository.privateKey.secret].strip() + "\n"
            known = f"[{repository.host}]:{repository.port} {repository.hostKey}\n"
            files += [
                HostFile(_key_file(conf_dir, role), key),
                HostFile(f"{conf_dir}/{role}-known-hosts", known),
            ]
    return files


def runner_script(settings: BackupsSpec, machine: str, paths: Paths = Paths()) -> str:
    """Every job of the machine, one after the other, then retention on each repository:
    manifests kept by ``--keep-*`` per host and path, every run without a kept manifest
    forgotten, then ``prune``. Exits 1 when a job failed (after running the others)."""
    r = settings.retention
    keep = f"--keep-daily {r.keepDaily} --keep-weekly {r.keepWeekly} --keep-monthly {r.keepMonthly}"
    return f"""\
#!/bin/bash
# Every backup job of {machine}, then retention; managed by Pulumi (selfhosted-platform).
set -euo pipefail
MACHINE={shlex.quote(machine)}
SERVICE=all
LOCK={shlex.quote(paths.lock_file)}
LOCK_WAIT={LOCK_WAIT_S}
# shellcheck source=/dev/null
. {shlex.quote(paths.conf_dir)}/restic.sh
{_LIBRARY}
failed=()
jobs=()
for job in {shlex.quote(paths.jobs_dir)}/*.backup; do
    [ -e "$job" ] || continue
    name=$(basename "$job" .backup)
    jobs+=("$name")
    "$job" || failed+=("$name")
done

retention() {{
    local repo=$1 job kept run
    for job in "${{jobs[@]}}"; do
        "$repo" forget --host "$MACHINE" --path "/$job/manifest" --group-by host,paths \\
            {keep} --quiet > /dev/null
        kept=$("$repo" snapshots --host "$MACHINE" --path "/$job/manifest" --json |
            grep -o '"run=[^"]*"' | tr -d '"' | sort -u)
        for run in $("$repo" snapshots --host "$MACHINE" --tag "job=$job" --json |
            grep -o '"run=[^"]*"' | tr -d '"' | sort -u); do
            if ! grep -qxF "$run" <<< "$kept"; then
                forget_tagged "$repo" "job=$job,$run"
            fi
        done
    done
    "$repo" prune --quiet > /dev/null
}}

if [ "${{#jobs[@]}}" -gt 0 ]; then
    lock
    retention primary
    if [ "${{#OFFSITE[@]}}" -gt 0 ]; then
        retention offsite
    fi
fi
if [ "${{#failed[@]}}" -gt 0 ]; then
    echo "backup jobs failed on $MACHINE: ${{failed[*]}}" >&2
    exit 1
fi
"""


def check_script(settings: BackupsSpec, machine: str, paths: Paths = Paths()) -> str:
    """``restic check --read-data-subset`` of each repository."""
    subset = shlex.quote(settings.check.readDataSubset)
    return f"""\
#!/bin/bash
# Reads back part of each repository of {machine}; managed by Pulumi (selfhosted-platform).
set -euo pipefail
MACHINE={shlex.quote(machine)}
SERVICE=check
LOCK={shlex.quote(paths.lock_file)}
LOCK_WAIT={LOCK_WAIT_S}
# shellcheck source=/dev/null
. {shlex.quote(paths.conf_dir)}/restic.sh
{_LIBRARY}
lock
primary check --read-data-subset {subset}
if [ "${{#OFFSITE[@]}}" -gt 0 ]; then
    offsite check --read-data-subset {subset}
fi
"""


def _unit(description: str, exec_start: str) -> str:
    return f"""\
[Unit]
Description={description} (selfhosted-platform)
Wants=network-online.target
After=network-online.target docker.service

[Service]
Type=oneshot
ExecStart={exec_start}
Nice=10
IOSchedulingClass=idle
"""


def _timer(description: str, calendar: str) -> str:
    return f"""\
[Unit]
Description={description} (selfhosted-platform)

[Timer]
OnCalendar={calendar}
Persistent=true
RandomizedDelaySec=10min

[Install]
WantedBy=timers.target
"""


def machine_files(settings: BackupsSpec, machine: str) -> list[HostFile]:
    """The machine's runner, check and their units (no secret)."""
    return [
        HostFile(f"{LIB_DIR}/run-all", runner_script(settings, machine), executable=True),
        HostFile(f"{LIB_DIR}/check", check_script(settings, machine), executable=True),
        HostFile(f"{UNIT_DIR}/{UNIT}.service", _unit("Backup jobs", f"{LIB_DIR}/run-all")),
        HostFile(f"{UNIT_DIR}/{UNIT}.timer", _timer("Backup jobs", settings.schedule)),
        HostFile(
            f"{UNIT_DIR}/{CHECK_UNIT}.service", _unit("Backup repository check", f"{LIB_DIR}/check")
        ),
        HostFile(
            f"{UNIT_DIR}/{CHECK_UNIT}.timer",
            _timer("Backup repository check", settings.check.schedule),
        ),
    ]


def job_files(job: BackupJob) -> list[HostFile]:
    """The job's backup and restore scripts (no secret: the dumps read the container's env)."""
    access = docker_access(job)
    return [
        HostFile(f"{JOBS_DIR}/{job.service}.backup", backup_script(job, access), executable=True),
        HostFile(f"{JOBS_DIR}/{job.service}.restore", restore_script(job, access), executable=True),
    ]


def _write(file: HostFile, mode: str) -> str:
    marker = "PULUMI_BACKUP_FILE"
    while marker in file.text:
        marker += "_"
    directory = file.path.rsplit("/", 1)[0]
    return f"""\
mkdir -p {shlex.quote(directory)}
cat > {shlex.quote(file.path)}.pulumi <<'{marker}'
{file.text.rstrip(chr(10))}
{marker}
chmod {mode} {shlex.quote(file.path)}.pulumi
mv -f {shlex.quote(file.path)}.pulumi {shlex.quote(file.path)}
"""


def install_files_script(files: Sequence[HostFile], *, secret: bool) -> str:
    """Write ``files`` atomically (each a new file renamed over the old); secret ones 0600."""
    body = "".join(
        _write(f, "0700" if f.executable else ("0600" if secret else "0644")) for f in files
    )
    return f"set -eu\numask 077\n{body}"


def machine_install_script(settings: BackupsSpec, machine: str, secrets: RepositorySecrets) -> str:
    """The machine's step (run as root): restic from apt, the settings, runner, check and
    units, the timers enabled. Idempotent."""
    return f"""\
#!/bin/sh
# Backups of {machine}, managed by Pulumi (selfhosted-platform). Idempotent.
set -eu
if ! command -v restic > /dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends restic > /dev/null
fi
mkdir -p {JOBS_DIR} {CACHE_DIR} {TEXTFILE_COLLECTOR_DIR}
{install_files_script(secret_files(settings, machine, secrets), secret=True)}\
{install_files_script(machine_files(settings, machine), secret=False)}\
systemctl daemon-reload
systemctl enable --now {UNIT}.timer {CHECK_UNIT}.timer
echo "backups of {machine}: restic $(restic version | cut -d' ' -f2), timers enabled"
"""


def job_install_script(job: BackupJob) -> str:
    """A job's step (run as root): its two scripts."""
    return f"""\
#!/bin/sh
# The backup job of {job.service}, managed by Pulumi (selfhosted-platform). Idempotent.
{install_files_script(job_files(job), secret=False)}\
echo "backup job {job.service} ({job.method}) installed"
"""


def job_remove_script(job: BackupJob) -> str:
    """What removing the job from the stack runs: its scripts go, its snapshots stay."""
    files = " ".join(shlex.quote(f.path) for f in job_files(job))
    return f"rm -f {files}\n"
