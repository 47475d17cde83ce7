"""One running policy pack for the whole session, spoken to over the analyzer protocol."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.plan.policy_runner import PolicyPackProcess, Violation, struct_from
from components.plan.recording import SECRET_SIG, SECRET_SIG_KEY, RecordedResource

# Absolute: the runner starts `python <pack dir>` with the pack directory as its cwd.
PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
PACK = "selfhosted-platform@v0.0.1"


def resource(type_: str, name: str, properties: Mapping[str, Any]) -> RecordedResource:
    """A hand-made resource as the engine would send it."""
    return RecordedResource(
        urn=f"urn:pulumi:test::proj::{type_}::{name}",
        type=type_,
        name=name,
        parent="",
        custom=True,
        properties=struct_from(properties),
        dependencies=[],
        provider="",
        protect=False,
    )


def not_run_prefix(policy: str) -> str:
    return f"can't run policy '{policy}' from policy pack '{PACK}' during preview: "


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackProcess]:
    """The pack process, started once; a test that configures it resets it (``configure({})``)."""
    with PolicyPackProcess(PACK_DIR) as process:
        yield process


CONTAINER = "docker:index/container:Container"
DOCKER_VOLUME = "docker:index/volume:Volume"


def secret(value: Any) -> dict[str, Any]:
    """A value as the engine sends a Pulumi secret (``KeepSecrets: true``)."""
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


# A Docker container that every policy of the pack accepts, in a stack with PGDATA_VOLUME (see
# compliant_stack). Each docker.Container test starts from it and changes one thing, then
# asserts the exact diagnostics of the WHOLE pack, so a mutation proves it trips exactly one
# rule and the baseline proves it trips none.
COMPLIANT_CONTAINER: dict[str, Any] = {
    "name": "db",
    "image": "postgres:16.4",
    "restart": "unless-stopped",
    "memory": 512,
    "cpus": "1",
    "ulimits": [{"name": "nproc", "soft": 512, "hard": 512}],
    "healthcheck": {"tests": ["CMD-SHELL", "pg_isready -U app"], "interval": "10s"},
    "securityOpts": ["no-new-privileges:true"],
    "capabilities": {"drops": ["ALL"]},
    "envs": ["POSTGRES_USER=app", "TZ=UTC", secret("POSTGRES_PASSWORD=s3cr3t-from-config")],
    "ports": [{"internal": 5432, "external": 5432, "ip": "127.0.0.1", "protocol": "tcp"}],
    "volumes": [{"volumeName": "pgdata", "containerPath": "/var/lib/postgresql/data"}],
    "networksAdvanced": [{"name": "db-internal"}],
}


def container(name: str, **changes: Any) -> RecordedResource:
    """COMPLIANT_CONTAINER with top-level ``changes`` (a value of None removes the key)."""
    properties = {**COMPLIANT_CONTAINER, **changes}
    return resource(CONTAINER, name, {k: v for k, v in properties.items() if v is not None})


# COMPLIANT_CONTAINER is a postgres container keeping its data in the named volume pgdata, and
# the stack policy docker-container-database-volume-protected accepts that only when the stack
# also declares a docker.Volume of that name with the protect resource option. So the container
# is compliant only together with this volume: analyze it with compliant_stack (or check).
PGDATA = str(COMPLIANT_CONTAINER["volumes"][0]["volumeName"])
PGDATA_VOLUME = replace(
    resource(DOCKER_VOLUME, PGDATA, {"name": PGDATA, "driver": "local"}), protect=True
)


BACKUP_JOB = "selfhosted:backup:BackupJob"


def backup_job(
    covered: RecordedResource, name: str | None = None, offsite: Any = "sftp"
) -> RecordedResource:
    """A backup job (components/docker/backup_job.py's inputs) covering the container
    ``covered``, with an off-site copy unless ``offsite`` says otherwise."""
    job = resource(
        BACKUP_JOB,
        name or f"{covered.name}-backup",
        {
            "container": covered.name,
            "containerUrn": covered.urn,
            "machine": "host",
            "method": "postgres",
            "offsite": offsite,
            "schedule": "*-*-* 03:00:00",
        },
    )
    return replace(job, custom=False)


def compliant_stack(*resources: RecordedResource) -> list[RecordedResource]:
    """``resources`` followed by PGDATA_VOLUME and a backup job of each container: the stack
    COMPLIANT_CONTAINER is compliant in."""
    jobs = [backup_job(r) for r in resources if r.type == CONTAINER]
    return [*resources, PGDATA_VOLUME, *jobs]


def check(pack: PolicyPackProcess, *resources: RecordedResource) -> list[Violation]:
    """The whole pack's diagnostics for ``resources`` analyzed in ``compliant_stack``."""
    return pack.check(compliant_stack(*resources))


LXC = "proxmoxve:index/containerLegacy:ContainerLegacy"

# A Proxmox LXC container that every policy of the pack accepts: the prod stack's proxy
# container as the engine sends it (unprivileged, nesting and keyctl on, on the NAT bridge).
COMPLIANT_LXC: dict[str, Any] = {
    "nodeName": "ax102",
    "vmId": 102,
    "description": "Nginx Proxy Manager - web gateway and TLS (Let's Encrypt)",
    "tags": ["selfhosted", "stateless"],
    "unprivileged": True,
    "features": {"nesting": True, "keyctl": True},
    "protection": False,
    "started": True,
    "startOnBoot": True,
    "startup": {"order": 1},
    "cpu": {"cores": 2},
    "memory": {"dedicated": 2048, "swap": 0},
    "disk": {"datastoreId": "local", "size": 16},
    "operatingSystem": {"type": "debian", "templateFileId": "local:vztmpl/debian-12.tar.zst"},
    "networkInterfaces": [{"name": "eth0", "bridge": "vmbr1"}],
    "initialization": {
        "hostname": "proxy",
        "ipConfigs": [{"ipv4": {"address": "10.0.0.2/24", "gateway": "10.0.0.1"}}],
        "dns": {"servers": ["1.1.1.1", "9.9.9.9"]},
        "userAccount": {"keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE ops@example.com"]},
    },
}


def lxc(name: str, **changes: Any) -> RecordedResource:
    """COMPLIANT_LXC with top-level ``changes`` (a value of None removes the key)."""
    properties = {**COMPLIANT_LXC, **changes}
    return resource(LXC, name, {k: v for k, v in properties.items() if v is not None})
