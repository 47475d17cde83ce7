"""docker-container-no-sensitive-host-path: no host mount of a sensitive system path.

Host mounts are ``volumes[].hostPath``, bind ``mounts[].source`` and ``docker.Volume`` binds
through ``driverOpts`` (see ``lib.host_paths``), compared after normalisation (``/etc/``,
``//etc`` and ``/etc/../etc`` are ``/etc``). Rules, whatever ``readOnly`` says unless stated:

* ``/``, ``/var``: the exact path (the whole host filesystem; all of its state, the runtime
  directory and Docker's data with it).
* ``/proc``, ``/sys``, ``/dev``, ``/boot``, ``/root``, ``/home``, ``/lib/modules``,
  ``/usr/lib/modules``, ``/var/lib/docker``, ``/var/lib/containerd``: the exact path and
  anything below it (kernel and device interfaces, the boot loader and kernel modules, users'
  files, the runtime's containers and images). Host devices are given with ``devices``
  (docker-container-no-host-device), never by mounting ``/dev``.
* ``/etc``, ``/usr``, ``/lib``: the exact path. Below them, read-write mounts are violations;
  read-only ones (``/etc/localtime``, ``/usr/share/zoneinfo``) are allowed, except the paths
  holding host secrets (``SECRET_ETC_PATHS``: shadow files, SSH host keys, TLS private keys,
  the Proxmox cluster filesystem), a path below one of them, or a directory containing one
  (``/etc/ssl`` holds ``/etc/ssl/private``).
* Daemon sockets and the directories holding them (below ``/run`` and ``/var/run``) are
  docker-container-no-docker-socket's and are not reported again. Other paths below ``/run``
  are not checked.

One violation per mount. Unknown values are deferred (the SDK reports the policy as not run,
advisory, during preview; ``pulumi up`` checks the resolved values): an unknown mount list, host
path or mount type, and ``readOnly`` below ``/etc``, ``/usr`` or ``/lib``, the only places it
is read.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.host_paths import daemon_socket, host_mounts, is_at_or_below
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER, DOCKER_VOLUME

RESOURCE_TYPES = (DOCKER_CONTAINER, DOCKER_VOLUME)
EXACT_PATHS = ("/", "/var")
TREES = (
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/home",
    "/lib/modules",
    "/usr/lib/modules",
    "/var/lib/docker",
    "/var/lib/containerd",
)
READ_ONLY_BELOW = ("/etc", "/usr", "/lib")
SECRET_ETC_PATHS = (
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/pve",
)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for mount in host_mounts(args.resource_type, args.props):
        path, where = mount.path, mount.where
        if daemon_socket(path) is not None:
            continue  # docker-container-no-docker-socket reports these
        if path in EXACT_PATHS or path in READ_ONLY_BELOW:
            report_violation(f"{where} mounts the host's {path}.", None)
            continue
        tree = next((root for root in TREES if is_at_or_below(path, root)), None)
        if tree == path:
            report_violation(f"{where} mounts the host's {path}.", None)
            continue
        if tree is not None:
            report_violation(f"{where} mounts the host's {path}, below {tree}.", None)
            continue
        below = next((root for root in READ_ONLY_BELOW if is_at_or_below(path, root)), None)
        if below is None:
            continue
        if not mount.read_only():
            report_violation(
                f"{where} mounts the host's {path} read-write; below {below} only read-only "
                "mounts are allowed.",
                None,
            )
            continue
        secret = next(
            (s for s in SECRET_ETC_PATHS if is_at_or_below(path, s) or is_at_or_below(s, path)),
            None,
        )
        if secret is not None:
            report_violation(
                f"{where} mounts the host's {path}, which exposes host secrets ({secret}).",
                None,
            )


docker_container_no_sensitive_host_path = resource_rule(
    name="docker-container-no-sensitive-host-path",
    rule_id="DKR-002",
    cis="5.5",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers and volumes never mount a sensitive host path: /, /var, /etc, /usr, "
        "/lib, /proc, /sys, /dev, /boot, /root, /home, kernel modules or the runtime's data "
        "(below /etc, /usr and /lib, read-only mounts that hold no host secrets are allowed)."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Mount only the files the service needs, read-only where they come from /etc or /usr "
        "(for example /etc/localtime with `readOnly: true`); keep data in Docker volumes or a "
        "dedicated host directory such as /srv/<service>; give devices with `devices`."
    ),
    validate=_validate,
)
