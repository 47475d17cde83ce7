"""stateful-resource-protected: volumes and database clusters survive destroy and replacement.

Checked types: ``docker:index/volume:Volume``, ``digitalocean:index/databaseCluster:
DatabaseCluster``, ``digitalocean:index/volume:Volume`` and ``hcloud:index/volume:Volume``.
Each must carry the ``protect`` resource option (``pulumi destroy`` and any replacement then
fail instead of deleting the data). Where the provider offers its own delete protection it is
accepted instead: a Hetzner Cloud volume with ``deleteProtection: true`` cannot be deleted
through the API, so neither a destroy nor a replacement can remove it. The Docker and
DigitalOcean resources have no such setting.

The ``retainOnDelete`` resource option would also keep the data, but the engine does not send
it to analyzers (``AnalyzerResourceOptions`` has no such field), so the pack cannot see it: a
resource protected only by ``retainOnDelete`` is reported, and the remediation is to add
``protect`` (both may be set).

Unknown values: ``protect`` is an option and always known. ``deleteProtection`` is read only
when ``protect`` is not set; an unknown one is deferred (the SDK reports the policy as not run,
advisory, during preview; ``pulumi up`` checks the resolved value).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from lib.rule import resource_rule
from lib.types import DO_DATABASE_CLUSTER, DO_VOLUME, DOCKER_VOLUME, HCLOUD_VOLUME

# Type -> (what it is called in messages, the provider's delete-protection property or None).
STATEFUL_TYPES: dict[str, tuple[str, str | None]] = {
    DOCKER_VOLUME: ("Docker volume", None),
    DO_DATABASE_CLUSTER: ("DigitalOcean database cluster", None),
    DO_VOLUME: ("DigitalOcean volume", None),
    HCLOUD_VOLUME: ("Hetzner Cloud volume", "deleteProtection"),
}
RESOURCE_TYPES = tuple(STATEFUL_TYPES)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = STATEFUL_TYPES.get(args.resource_type)
    if kind is None or args.opts.protect:
        return
    label, provider_protection = kind
    if provider_protection is None:
        report_violation(f"{label} {args.name} does not set the protect resource option.", None)
    elif args.props.get(provider_protection) is not True:
        report_violation(
            f"{label} {args.name} sets neither the protect resource option nor "
            f"{provider_protection}.",
            None,
        )


stateful_resource_protected = resource_rule(
    name="stateful-resource-protected",
    rule_id="STK-001",
    resource_types=RESOURCE_TYPES,
    description=(
        "Volumes and database clusters are protected so their data survives `pulumi destroy` "
        "and replacement: the protect resource option, or the provider's delete protection."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Pass `opts=pulumi.ResourceOptions(protect=True)` to the resource (on Hetzner Cloud "
        "volumes `delete_protection=True` also counts). `retain_on_delete` is invisible to "
        "policies: set `protect` as well. To really delete it later, unprotect it first."
    ),
    validate=_validate,
)
