"""docker-container-no-host-device: no Docker container is given a host device.

A device node passed with ``devices`` (``--device``) lets the container talk to the hardware or
kernel interface behind it: a disk (``/dev/sda``: read and write the host's filesystem under
it), ``/dev/mem``, ``/dev/kmsg``, ``/dev/fuse``, a GPU. CIS Docker Benchmark 5.17 asks for
none. Each ``devices[]`` entry is one violation naming its host path, container path and
cgroup permissions (the provider's defaults: the container path is the host path, permissions
``rwm``). A service that needs a device (a GPU for transcoding, a USB radio for an IoT bridge)
declares the exception with its reason: the label
``selfhosted.policy.except.docker-container-no-host-device``.

Unknown values are deferred (the SDK reports the policy as not run, advisory, during preview;
``pulumi up`` checks the resolved values): an unknown ``devices`` list or entry field the
message names. Violations found before an unknown value are kept.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for index, device in enumerate(args.props.get("devices") or []):
        host = device.get("hostPath")
        inside = device.get("containerPath") or host
        permissions = device.get("permissions") or "rwm"
        report_violation(
            f"devices[{index}] gives the host device {host} as {inside} ({permissions}).", None
        )


docker_container_no_host_device = resource_rule(
    name="docker-container-no-host-device",
    rule_id="DKR-018",
    cis="5.17",
    resource_types=RESOURCE_TYPES,
    description="Docker containers are never given a host device (`devices`).",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove the `devices` entry. A service that truly needs a device declares the label "
        "`selfhosted.policy.except.docker-container-no-host-device` with its reason, and gets "
        "only that device with the narrowest permissions (`r` or `rw`, not `m`)."
    ),
    validate=_validate,
)
