"""``platform:monitoring``: where the monitoring set runs and what it keeps and tells.

The set (Prometheus, Alertmanager, Grafana, the blackbox exporter) runs on one machine; what it
scrapes is derived from the rest of the stack (components/derive/monitoring.py), never listed
here. Receivers' credentials are secrets: the rendered alertmanager.yml that holds them is a
secret file.
"""

# ruff: noqa: N815 -- field names are the camelCase config keys of Pulumi.<stack>.yaml

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Any

from pydantic import Field, field_validator

from .common import DomainName, Name, SecretRef, Strict
from .partial import parsed
from .services import ResourcesSpec

# Values written into alertmanager.yml (a YAML dump, never a shell): what each field allows.
EmailAddress = Annotated[str, Field(pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")]
HostPort = Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+:[0-9]{1,5}$")]
LabelName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# A matcher's value is written between double quotes.
LabelValue = Annotated[str, Field(pattern=r'^[^"\\\n]+$')]


class RetentionSpec(Strict):
    """How long, and how much, Prometheus keeps (the older data goes first)."""

    time: str = Field(
        default="15d",
        pattern=r"^[1-9][0-9]*(h|d|w|y)$",
        description="Age after which samples are dropped, e.g. 15d or 8w "
        "(--storage.tsdb.retention.time).",
    )
    sizeGb: int | None = Field(
        default=None,
        ge=1,
        description="Disk the samples may take, in GB (--storage.tsdb.retention.size); null: "
        "no size limit.",
    )


class WebhookReceiverSpec(Strict):
    url: SecretRef = Field(
        description="Webhook URL, under platform:secrets (such URLs usually carry a token)."
    )


class SlackReceiverSpec(Strict):
    apiUrl: SecretRef = Field(description="Slack incoming-webhook URL, under platform:secrets.")
    channel: Annotated[str, Field(pattern=r"^[#@]?[A-Za-z0-9._-]+$")] = Field(
        description="Channel, e.g. #alerts."
    )


class EmailReceiverSpec(Strict):
    to: EmailAddress = Field(description="Recipient address.")
    sender: EmailAddress = Field(description="From address.")
    smarthost: HostPort = Field(description="SMTP server host:port, e.g. smtp.example.com:587.")
    username: Annotated[str, Field(pattern=r"^[^\s]+$")] = Field(description="SMTP user.")
    password: SecretRef = Field(description="SMTP password, under platform:secrets.")


class ReceiverSpec(Strict):
    """Where notifications go: exactly one of webhook, slack, email."""

    webhook: WebhookReceiverSpec | None = Field(default=None, description="A webhook.")
    slack: SlackReceiverSpec | None = Field(default=None, description="A Slack channel.")
    email: EmailReceiverSpec | None = Field(default=None, description="An email address.")


class AlertRouteSpec(Strict):
    """Alerts whose labels all equal ``match`` go to ``receiver`` (first match wins)."""

    receiver: Name = Field(description="A receiver under platform:monitoring.receivers.")
    match: dict[LabelName, LabelValue] = Field(
        min_length=1, description="Label -> value, e.g. {severity: critical}."
    )


class GrafanaSpec(Strict):
    host: DomainName = Field(
        description="Public host name of Grafana's route through the stack's proxy."
    )
    adminPassword: SecretRef = Field(
        description="Password of Grafana's admin user, under platform:secrets."
    )
    allowFrom: list[IPv4Network | IPv6Network] = Field(
        min_length=1,
        description="Source networks (CIDR, the admins') Grafana's route lets through; every "
        "other client gets 403 at the proxy, and Grafana keeps its own login. Not basic auth: "
        "Grafana reads the Authorization header itself.",
    )


class MemberResourcesSpec(Strict):
    """Limits of one member of the set; a key left out keeps the member's default."""

    memoryMb: int | None = Field(default=None, ge=6, description="Memory limit in MiB.")
    cpus: float | None = Field(default=None, gt=0, le=512, description="CPU limit in cores.")
    pids: int | None = Field(default=None, ge=16, description="Process limit (nproc).")

    @field_validator("cpus")
    @classmethod
    def _reads_back_as_itself(cls, cpus: float | None) -> float | None:
        # The same check as a service's resources: the provider's read-back must not replace it.
        return None if cpus is None else ResourcesSpec.reads_back_as_itself(cpus)

    def over(self, default: ResourcesSpec) -> ResourcesSpec:
        """``default`` with the keys given here replaced."""
        return default.model_copy(update=self.model_dump(exclude_none=True))


# The members' default limits, the one place they are decided.
DEFAULT_RESOURCES: dict[str, ResourcesSpec] = {
    # Prometheus's memory is its head block: about 2 GiB per million active series, GC's
    # doubling included (Brian Brazil, "How much RAM does Prometheus 2.x need for cardinality
    # and ingestion?", robustperception.io, 2019: 732 B per series plus labels, times two).
    # Retention costs disk, not memory (older blocks are files, read through mmap). A few
    # dozen targets (a node exporter ~1 500 series, cAdvisor ~100 per container, a database
    # exporter ~1 000-3 000) make well under 200 000 series, ~400 MiB at most: 1 GiB leaves
    # room for queries over 30 days.
    "prometheus": ResourcesSpec(memoryMb=1024, cpus=1.0, pids=256),
    # One instance holding a few silences and notifications.
    "alertmanager": ResourcesSpec(memoryMb=128, cpus=0.25, pids=64),
    # Grafana's server with its SQLite database and the dashboards' queries; 512 MB is its
    # documented minimum (grafana.com/docs/grafana/latest/setup-grafana/installation,
    # "Hardware recommendations").
    "grafana": ResourcesSpec(memoryMb=512, cpus=0.5, pids=256),
    # Stateless probes, one HTTPS request each per scrape.
    "blackbox": ResourcesSpec(memoryMb=64, cpus=0.25, pids=64),
    "nodeExporter": ResourcesSpec(memoryMb=64, cpus=0.25, pids=64),
    # cAdvisor keeps every container's recent stats in memory (its own housekeeping); with
    # its flags (exporters.cadvisor_command: Docker's containers only, every 30 s, three
    # kinds) a machine's few containers need less: a small machine may give it 128.
    "cadvisor": ResourcesSpec(memoryMb=256, cpus=0.5, pids=128),
    # mongodb_exporter's collectors take the most of the four kinds: a stack with MongoDB
    # keeps this default (one limit for every exporter of the stack).
    "databaseExporters": ResourcesSpec(memoryMb=128, cpus=0.25, pids=64),
}
WHAT = {
    "prometheus": "Prometheus",
    "alertmanager": "Alertmanager",
    "grafana": "Grafana",
    "blackbox": "the blackbox exporter",
    "nodeExporter": "the node exporter of every engine",
    "cadvisor": "cAdvisor on every engine",
    "databaseExporters": "each database's exporter",
}


def _member(member: str) -> Any:
    default = DEFAULT_RESOURCES[member]
    return Field(
        default_factory=MemberResourcesSpec,
        description=f"Limits of {WHAT[member]} (default {default.memoryMb} MiB, "
        f"{default.cpus:g} CPU, {default.pids} processes); keys left out keep the default.",
    )


class MonitoringResourcesSpec(Strict):
    """The set's limits, per member: the defaults suit a few dozen targets; a small machine
    gives smaller ones here (its memory must hold the limits of everything it runs)."""

    prometheus: MemberResourcesSpec = _member("prometheus")
    alertmanager: MemberResourcesSpec = _member("alertmanager")
    grafana: MemberResourcesSpec = _member("grafana")
    blackbox: MemberResourcesSpec = _member("blackbox")
    nodeExporter: MemberResourcesSpec = _member("nodeExporter")
    cadvisor: MemberResourcesSpec = _member("cadvisor")
    databaseExporters: MemberResourcesSpec = _member("databaseExporters")

    def of(self, member: str) -> ResourcesSpec:
        """The limits of ``member`` (a key of DEFAULT_RESOURCES)."""
        given: MemberResourcesSpec = getattr(self, member)
        return given.over(DEFAULT_RESOURCES[member])


class MonitoringSpec(Strict):
    """The monitoring set and where its alerts go."""

    machine: Name = Field(description="Guest or host whose engine runs the monitoring set.")
    network: Name = Field(
        description="Network (under platform:networks, not internal: probes reach the "
        "internet) the set and the exporters on its machine share."
    )
    retention: RetentionSpec = Field(
        default_factory=RetentionSpec, description="What Prometheus keeps."
    )
    receivers: dict[Name, ReceiverSpec] = Field(
        min_length=1, description="Receivers by name: each one webhook, slack or email."
    )
    defaultReceiver: Name = Field(description="Receiver of alerts no route matches.")
    routes: list[AlertRouteSpec] = Field(
        default_factory=list, description="Routes tried in order before the default receiver."
    )
    heartbeatReceiver: Name = Field(
        description="Receiver of the dead-man's switch (an alert that always fires, sent "
        "every few minutes: a heartbeat service raises the alarm when it stops arriving)."
    )
    grafana: GrafanaSpec = Field(description="Grafana's route and admin password.")
    resources: MonitoringResourcesSpec = Field(
        default_factory=MonitoringResourcesSpec,
        description="Memory, CPU and process limits of the set's members (each optional).",
    )


def secret_refs(spec: MonitoringSpec) -> list[tuple[tuple[str | int, ...], SecretRef]]:
    """Every secret the section names, with its config path (checked against the leaves); a
    part that did not parse is reported on its own and skipped here."""
    at: tuple[str | int, ...] = ("monitoring",)
    refs: list[tuple[tuple[str | int, ...], SecretRef]] = []
    if parsed(spec, "grafana") and parsed(spec.grafana, "adminPassword"):
        refs.append(((*at, "grafana", "adminPassword", "secret"), spec.grafana.adminPassword))
    if not parsed(spec, "receivers"):
        return refs
    for name, receiver in spec.receivers.items():
        for kind, field in (("webhook", "url"), ("slack", "apiUrl"), ("email", "password")):
            part = getattr(receiver, kind, None) if parsed(receiver, kind) else None
            if part is not None and parsed(part, field):
                refs.append(((*at, "receivers", name, kind, field, "secret"), getattr(part, field)))
    return refs
