"""docker-container-no-sensitive-host-path: no host mount of a sensitive system path.

Host mounts are ``volumes[].hostPath`` and bind ``mounts[].source`` (see ``host_mounts``),
compared after normalisation (``/etc/``, ``//etc`` and ``/etc/../etc`` are ``/etc``). Rules,
whatever ``readOnly`` says unless stated:

* ``/``: the exact path (the whole host filesystem).
* ``/proc``, ``/sys``, ``/root``, ``/home``: the exact path and anything below it.
* ``/etc``: the exact path. Below ``/etc``, read-write mounts are violations; read-only ones
  (``/etc/localtime``, ``/etc/timezone``, ``/etc/ssl/certs``) are allowed, except the paths
  holding host secrets (``SECRET_ETC_PATHS``: shadow files, SSH host keys, TLS private keys,
  the Proxmox cluster filesystem), a path below one of them, or a directory containing one
  (``/etc/ssl`` holds ``/etc/ssl/private``).
* ``/var/run`` and ``/run`` (and the Docker socket in them) are the Docker socket's paths:
  docker-container-no-docker-socket reports them, with its own allow-list, and this policy
  does not report them again. Other paths below them are not checked.

One violation per mount. Unknown values are deferred (the SDK reports the policy as not run,
advisory, during preview; ``pulumi up`` checks the resolved values): an unknown mount list, host
path or mount type, and ``readOnly`` below ``/etc``, the only place it is read.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from lib.host_paths import DOCKER_SOCKET_PATHS, host_mounts, is_at_or_below
from lib.rule import resource_rule

CONTAINER_TYPE = "docker:index/container:Container"
RESOURCE_TYPES = (CONTAINER_TYPE,)
EXACT_PATHS = ("/", "/etc")
TREES = ("/proc", "/sys", "/root", "/home")
SECRET_ETC_PATHS = (
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/pve",
)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for mount in host_mounts(args.props):
        path, where = mount.path, mount.where
        if path in DOCKER_SOCKET_PATHS:
            continue  # docker-container-no-docker-socket reports these
        if path in EXACT_PATHS:
            report_violation(f"{where} mounts the host's {path}.", None)
            continue
        tree = next((root for root in TREES if is_at_or_below(path, root)), None)
        if tree == path:
            report_violation(f"{where} mounts the host's {path}.", None)
        elif tree is not None:
            report_violation(f"{where} mounts the host's {path}, below {tree}.", None)
        elif is_at_or_below(path, "/etc"):
            if not mount.read_only():
                report_violation(
                    f"{where} mounts the host's {path} read-write; below /etc only read-only "
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
        "Docker containers never mount a sensitive host path: /, /etc, /proc, /sys, /root or "
        "/home (below /etc, read-only mounts that hold no host secrets are allowed)."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Mount only the files the service needs, read-only where they come from /etc (for "
        "example /etc/localtime with `readOnly: true`); keep data in Docker volumes or a "
        "dedicated host directory such as /srv/<service>."
    ),
    validate=_validate,
)
