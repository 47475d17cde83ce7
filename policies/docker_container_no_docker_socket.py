"""docker-container-no-docker-socket: no Docker container or volume reaches a daemon socket.

Access to a container runtime's API socket is root on the host (start a privileged container,
mount ``/``). A host mount (``volumes[].hostPath``, a bind ``mounts[].source``, or a
``docker.Volume`` bound to a host path through ``driverOpts``: see ``lib.host_paths``) is a
violation when it is:

* any ``*.sock`` below ``/run`` or ``/var/run`` (Docker's, containerd's, Podman's, CRI-O's,
  BuildKit's, whatever daemon it is);
* a directory holding one of the known daemon sockets: ``/run`` and ``/var/run`` themselves,
  ``/run/containerd``, ``/run/podman``, ``/run/crio``, ``/run/buildkit``, ``/run/user`` and
  rootless Docker's ``/run/user/<uid>``.

``readOnly`` does not matter: a read-only bind does not stop API calls through a socket. A
service that truly needs the API (a socket proxy, Portainer) declares an exception with its
reason: the label ``selfhosted.policy.except.docker-container-no-docker-socket``.

Mounting a parent such as ``/`` or ``/var`` also reaches the socket; those are reported by
docker-container-no-sensitive-host-path, which does not report this rule's paths again.

Unknown values are deferred (the SDK reports the policy as not run, advisory, during preview;
``pulumi up`` checks the resolved values): an unknown mount list, host path or mount type, or
a volume's unknown driver or bind options.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.host_paths import daemon_socket, host_mounts
from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER, DOCKER_VOLUME

RESOURCE_TYPES = (DOCKER_CONTAINER, DOCKER_VOLUME)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for mount in host_mounts(args.resource_type, args.props):
        exposed = daemon_socket(mount.path)
        if exposed is not None:
            report_violation(f"{mount.where} mounts {exposed}.", None)


docker_container_no_docker_socket = resource_rule(
    name="docker-container-no-docker-socket",
    rule_id="DKR-003",
    cis="5.31",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers and volumes never reach a container runtime's socket (any *.sock "
        "below /run or /var/run, or a directory holding a daemon socket)."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Remove the mount. A service that must talk to Docker goes through a socket proxy that "
        "allows only the API calls it needs; the proxy's container declares the exception with "
        "the label `selfhosted.policy.except.docker-container-no-docker-socket` and its reason."
    ),
    validate=_validate,
)
