"""docker-container-no-host-namespace: no Docker container shares a host namespace.

``networkMode: host`` puts the container on the host's interfaces (every port it opens is
public, past Docker's port publishing), ``pidMode: host`` lets it see and signal host
processes, ``ipcMode: host`` shares host shared memory, ``usernsMode: host`` turns off user
namespace remapping, and ``cgroupnsMode: host`` shows it the host's whole cgroup hierarchy.
Each of the five set to ``host`` is one violation. Other modes, such as ``bridge``,
``private`` or ``container:<name>``, share no host namespace and pass; Docker compares the mode
exactly, and so does this policy.

A service that needs one (LiveKit's host networking for its UDP media range) declares the
exception with its reason: the label
``selfhosted.policy.except.docker-container-no-host-namespace``.

Unknown values are deferred (the SDK reports the policy as not run, advisory, during preview;
``pulumi up`` checks the resolved values); violations found before an unknown mode are kept.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)
MODES = ("networkMode", "pidMode", "ipcMode", "usernsMode", "cgroupnsMode")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for mode in MODES:
        if args.props.get(mode) == "host":  # Docker compares exactly: "HOST" is no host mode
            report_violation(f"`{mode}` is host.", None)


docker_container_no_host_namespace = resource_rule(
    name="docker-container-no-host-namespace",
    rule_id="DKR-004",
    cis="5.9, 5.15, 5.16, 5.30",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers never share the host's network, PID, IPC, user or cgroup namespace."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove the `host` mode: use a Docker network and publish the ports the service needs "
        "(a UDP range works for media servers), and keep the container's own PID, IPC, user and "
        "cgroup namespaces. A service that truly needs host networking declares the label "
        "`selfhosted.policy.except.docker-container-no-host-namespace` with its reason."
    ),
    validate=_validate,
)
