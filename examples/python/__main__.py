"""Another team's program: a Docker engine on a server it already has, and PostgreSQL on it."""

import os

import pulumi

from components.derive.topology import EngineNetwork
from components.docker.container_service import (
    ContainerService,
    ContainerServiceArgs,
    Healthcheck,
    VolumeMount,
)
from components.docker.engine import DockerEngine, DockerEngineArgs
from components.hosts.connection import ssh_connection
from components.render.readiness import Readiness, readiness_command

config = pulumi.Config()
host = config.require("host")
host_key = config.require("hostKey")  # the server's ssh-ed25519 key: pinned, nothing else
private_key = config.require_secret("sshPrivateKey")

engine = DockerEngine(
    "app-engine",
    DockerEngineArgs(
        alias="app",
        hostname=host,
        user="ops",
        host_key=host_key,
        private_key=private_key,
        readiness_connection=ssh_connection(
            host=host, user="ops", private_key=private_key, host_key=host_key
        ),
        readiness_script=readiness_command(Readiness(wait_for_cloud_init=False)),
        project_dir=os.getcwd(),  # the SSH access files go to .selfhosted/ssh/<stack>/
        stack=pulumi.get_stack(),
        networks=[EngineNetwork(key="app", docker_name="app", internal=True)],
    ),
)
database = ContainerService(
    "postgres",
    ContainerServiceArgs(
        image="postgres:16.4",
        provider=engine.provider,
        networks={"app": "app"},
        secret_env={"POSTGRES_PASSWORD": config.require_secret("dbPassword")},
        volumes=[VolumeMount("postgres-data", "/var/lib/postgresql/data")],
        healthcheck=Healthcheck(test=["CMD-SHELL", "pg_isready -U postgres"]),
        cap_add=["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"],
        stateful=True,
        # The pack requires a backup job for every database container; this team's nightly
        # dump runs outside this program, so it says so (the plan lists the exception).
        policy_exceptions={
            "docker-container-stateful-backed-up": "dumped nightly by the team's own backup "
            "system (outside this program)",
        },
        after=[engine.networks["app"]],
    ),
)
pulumi.export("database", database.container.name)
