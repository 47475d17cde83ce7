"""Every name the program decides, once: resource names, stack output names, config paths.

A component names its children ``f"{name}-<role>"`` (DESIGN.md, component shape); the roles
below are those suffixes, and the functions compose the names that other parts of the program
must know in advance: the config path of a resource (which the policy report prints next to a
violation) and the ``pulumi import`` ids of an adopted Proxmox host. Changing a name here
renames a resource in state (Pulumi replaces it), so the golden plans catch every change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.spec import PlatformSpec

# Stack outputs.
OUTPUT_PUBLIC_ADDRESSES = "publicAddresses"
OUTPUT_SERVICES = "services"
OUTPUT_CONFIG_PATHS = "configPaths"
OUTPUT_POLICY_CONFIG = "policyConfig"

# Child roles, as suffixes of their component's name.
CONTAINER = "container"
IMAGE = "image"
PROVIDER = "provider"
READY = "ready"
ENGINE = "engine"
NAT = "nat"
BRIDGE = "bridge"
RULESET = "ruleset"
DOCKER_INSTALL = "docker"
SSH_KEYS = "ssh-keys"
DISK = "disk"
MERGE_DATA = "merge-data"
PREPARE = "prepare"
STORAGE_CONTENT = "storage-content"
TEMPLATE = "template"
HOST_KEY = "host-key"
FIREWALL = "firewall"
SERVER = "server"
DATA = "data"
DATA_ATTACHMENT = "data-attachment"
ADMIN_KEY = "admin"
DATA_VOLUME = "data-volume"
# Nginx Proxy Manager's objects, children of its routes component.
NPM_ROUTES = "routes"
NPM_ADMIN = "admin-login"
NPM_CERTIFICATE = "certificate"
NPM_ACCESS_LIST = "access-list"
NPM_PROXY_HOST = "proxy-host"

DATABASE_CLUSTER = "cluster"
DATABASE_DB = "db"
DATABASE_USER = "user"

# What a managed database gives the services that reach it, known once it exists: the keys of
# ``database_value``.
DATABASE_VALUES = ("host", "port", "database", "user", "password", "ca")

INSTALL = "install"
BACKUP = "backup"
BACKUPS = "backups"

NODE_EXPORTER = "node-exporter"


def child(parent: str, role: str) -> str:
    """The name of ``parent``'s child in ``role``: ``ax102-nat`` + ``ruleset``."""
    return f"{parent}-{role}"


def guest(host: str, guest_name: str) -> str:
    """The LXC guest component: ``ax102-proxy``."""
    return f"{host}-{guest_name}"


def guest_engine(host: str, machine: str) -> str:
    """The Docker engine of a guest: ``ax102-proxy-engine``."""
    return child(guest(host, machine), ENGINE)


def guest_docker_install(host: str, machine: str) -> str:
    """The step that installs Docker in a guest: ``ax102-proxy-docker``."""
    return child(guest(host, machine), DOCKER_INSTALL)


def guest_container(host: str, guest_name: str) -> str:
    return child(guest(host, guest_name), CONTAINER)


def nat_bridge(host: str) -> str:
    return child(child(host, NAT), BRIDGE)


def nat_ruleset(host: str) -> str:
    return child(child(host, NAT), RULESET)


def server_engine(host: str) -> str:
    """The Docker engine of a host that is a server: ``hub-engine``."""
    return child(host, ENGINE)


def volume(service: str, volume_name: str) -> str:
    """A service's named Docker volume: ``npm-npm-data``."""
    return child(service, volume_name)


def admin_key(host: str, fingerprint: str) -> str:
    """An admin key the program uploads to a cloud account, named by its MD5 fingerprint
    (``hub-admin-5558dcbd...``): a key keeps its name whatever the other keys do."""
    return f"{child(host, ADMIN_KEY)}-{fingerprint.replace(':', '')}"


def npm_object(component: str, role: str, host: str) -> str:
    """An NPM object of one route host: ``npm-routes-proxy-host-app.example.com``."""
    return f"{child(component, role)}-{host}"


def ssh_alias_of_guest(host: str, machine: str) -> str:
    """The ``ssh://`` alias of a guest's engine in the generated ssh_config."""
    return guest(host, machine)


def sidecar(name: str, machine: str) -> str:
    """An app's container on one engine: ``node-exporter-proxy``."""
    return f"{name}-{machine}"


def database(name: str) -> str:
    """The component of a managed database under platform:databases: ``main-database``."""
    return f"{name}-database"


def database_value(name: str, key: str) -> str:
    """The name under which a managed database's ``key`` (one of ``DATABASE_VALUES``) reaches
    the ``Rendered`` files of the services: ``databases.main.host``."""
    if key not in DATABASE_VALUES:
        raise ValueError(f"{key} is not one of {', '.join(DATABASE_VALUES)}")
    return f"databases.{name}.{key}"


def backup_job(service: str) -> str:
    """A service's backup job: ``chat-postgres-backup``."""
    return child(service, BACKUP)


def machine_backups(machine: str) -> str:
    """A machine's backup settings, runner and timers: ``hub-backups``."""
    return child(machine, BACKUPS)


# The monitoring set (components/derive/monitoring.py): one of each on the monitoring machine.
PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
GRAFANA = "grafana"
BLACKBOX_EXPORTER = "blackbox-exporter"
MONITORING_SET = (PROMETHEUS, ALERTMANAGER, GRAFANA, BLACKBOX_EXPORTER)


def node_exporter(machine: str) -> str:
    """The node exporter of one machine: ``node-exporter-backend``."""
    return sidecar("node-exporter", machine)


def cadvisor(machine: str) -> str:
    """The container metrics of one engine: ``cadvisor-backend``."""
    return sidecar("cadvisor", machine)


def database_exporter(service: str) -> str:
    """The exporter next to a database or broker: ``redis-exporter``."""
    return f"{service}-exporter"


def config_paths(
    spec: PlatformSpec, sidecars: Mapping[str, str], added: PlatformSpec | None = None
) -> dict[str, str]:
    """``{resource name: the config path it comes from}`` (the ``configPaths`` output, which the
    policy report prints next to a violation). ``sidecars`` maps each service the stack adds (an
    app's sidecar, the monitoring set) to the block that declares it; ``added`` is the spec with
    those services, whose volumes come from that block too."""
    # The spec's rules use this module's names, so the spec is imported where it is read.
    from components.spec import CloudServerSpec, ProxmoxHostSpec, config_path  # noqa: PLC0415

    paths: dict[str, str] = {}
    for name, host in spec.hosts.items():
        if isinstance(host, ProxmoxHostSpec):
            paths[nat_ruleset(name)] = config_path(("hosts", name))
            paths[nat_bridge(name)] = config_path(("hosts", name, "natBridge"))
            for guest_name in spec.guests_of(name):
                paths[guest_container(name, guest_name)] = config_path(("guests", guest_name))
        elif isinstance(host, CloudServerSpec):
            for role in (FIREWALL, SERVER):
                paths[child(name, role)] = config_path(("hosts", name))
    for name, service in spec.services.items():
        for role in (CONTAINER, IMAGE):
            paths[child(name, role)] = config_path(("services", name))
        for mount in service.volumes:
            if mount.owner is None:  # a borrowed volume is its owner's resource
                paths[volume(name, mount.name)] = config_path(("services", name, "volumes"))
    for name in spec.databases:
        component = database(name)
        for role in (DATABASE_CLUSTER, DATABASE_DB, DATABASE_USER, FIREWALL):
            paths[child(component, role)] = config_path(("databases", name))
    for name, path in sidecars.items():
        for role in (CONTAINER, IMAGE):
            paths[child(name, role)] = path
        mounts = added.services[name].volumes if added and name in added.services else []
        for mount in mounts:
            paths[volume(name, mount.name)] = path
    return dict(sorted(paths.items()))
