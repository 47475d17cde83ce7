"""server-has-firewall-and-ssh-keys: cloud servers log in by key and sit behind a firewall.

Checked across the stack:
- every ``digitalocean:index/droplet:Droplet`` has a non-empty ``sshKeys`` (without one the
  provider mails a root password) and is covered by a ``digitalocean:index/firewall:Firewall``
  of the stack, through the firewall's ``dropletIds`` or a tag in both the firewall's and the
  droplet's ``tags`` (DigitalOcean applies a firewall to every droplet carrying one of its tags);
- every ``hcloud:index/server:Server`` has a non-empty ``sshKeys`` and a non-empty
  ``firewallIds``, or is selected by an ``hcloud:index/firewallAttachment:FirewallAttachment``
  (``serverIds`` or ``labelSelectors``) or by an ``hcloud:index/firewall:Firewall``'s
  ``applyTos`` (``server`` or ``labelSelector``). Label selectors are matched against the
  server's ``labels`` (``k=v``, ``k==v``, ``k!=v``, ``k``, ``!k``, ``k in (a,b)``,
  ``k notin (a,b)``, comma-separated terms all holding).

How references are matched: a program passes ``droplet.id`` (or ``server.id``) to the
firewall; during preview, a resource that is not created yet has an unknown id, so the value
alone cannot say which server it names. The engine also sends each property's dependencies
(the resources whose outputs flowed into it), and an unknown value only comes from the outputs
of a resource it depends on.

Unknown values are handled in this order, so that only an open question defers:

1. a firewall/attachment whose ``dropletIds``/``serverIds``/``applyTos`` depends on the server
   covers it, known id or not; a firewall and a droplet whose ``tags`` both depend on the same
   ``digitalocean.Tag`` share that tag;
2. known values are compared: ids (AnalyzeStack sends outputs, which carry ``id``; numbers and
   strings compare alike), tag names, label selectors against labels;
3. an unknown id in a list that depends on other resources is not this server's id: ignored;
   a literal id cannot name a server whose own id is still unknown (not created yet);
4. a question still open because of an unknown value (an unknown id with no recorded
   dependency, an unknown tag, selector or label, an unknown ``firewallIds``) is deferred: the
   SDK reports the policy as not run (advisory) during preview, and ``pulumi up`` checks the
   resolved values. A server covered in another way is never deferred;
5. an unknown ``sshKeys`` list is deferred; a known list of unknown keys (fingerprints of keys
   created in the same update) is non-empty and passes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

from lib.rule import stack_rule
from lib.types import (
    DO_DROPLET,
    DO_FIREWALL,
    HCLOUD_FIREWALL,
    HCLOUD_FIREWALL_ATTACHMENT,
    HCLOUD_SERVER,
)

RESOURCE_TYPES = (
    DO_DROPLET,
    DO_FIREWALL,
    HCLOUD_SERVER,
    HCLOUD_FIREWALL,
    HCLOUD_FIREWALL_ATTACHMENT,
)

_KEY = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
_EXISTS = re.compile(rf"(!?)\s*({_KEY})")
_EQUALS = re.compile(rf"({_KEY})\s*(==|=|!=)\s*([A-Za-z0-9._-]*)")
_SET = re.compile(rf"({_KEY})\s+(in|notin)\s*\(([^)]*)\)")


class _Pending:
    """The first unknown value met while the answer may still depend on it."""

    def __init__(self) -> None:
        self.error: UnknownValueError | None = None

    def add(self, error: UnknownValueError | None) -> None:
        if self.error is None:
            self.error = error

    def raise_if_any(self) -> None:
        if self.error is not None:
            raise self.error


def _read(props: Mapping[str, Any], key: str) -> tuple[Any, UnknownValueError | None]:
    """A property's value, or ``None`` and the error raised because it is unknown."""
    try:
        return props.get(key), None
    except UnknownValueError as error:
        return None, error


def _read_list(props: Mapping[str, Any], key: str) -> tuple[list[Any], UnknownValueError | None]:
    """The known items of a list property, and the error of an unknown item (or list)."""
    value, unknown = _read(props, key)
    items: Sequence[Any] = value or []
    known = []
    for index in range(len(items)):
        try:
            known.append(items[index])
        except UnknownValueError as error:
            unknown = unknown or error
    return known, unknown


def _read_map(
    props: Mapping[str, Any], key: str
) -> tuple[dict[str, Any], UnknownValueError | None]:
    """The known entries of a map property, and the error of an unknown value (or map)."""
    value, unknown = _read(props, key)
    entries: Mapping[str, Any] = value or {}
    known = {}
    for name in list(entries):
        try:
            known[str(name)] = entries[name]
        except UnknownValueError as error:
            unknown = unknown or error
    return known, unknown


def _id(value: Any) -> str:
    """An id as text: ids are numbers in some properties (sent as floats), strings in others."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _own_id(resource: PolicyResource) -> str | None:
    """The resource's known id; ``None`` before it exists (no literal id can name it then)."""
    value, _ = _read(resource.props, "id")
    return None if value in (None, "") else _id(value)


def _deps(resource: PolicyResource, key: str) -> set[str]:
    """URNs of the resources whose outputs flowed into the property ``key``."""
    return {dependency.urn for dependency in resource.property_dependencies.get(key, [])}


def _names(
    owner: PolicyResource,
    key: str,
    target: PolicyResource,
    target_id: str | None,
    pending: _Pending,
) -> bool:
    """Whether the id list ``owner.key`` names ``target`` (see the module doc for unknowns)."""
    if target.urn in _deps(owner, key):
        return True
    ids, unknown = _read_list(owner.props, key)
    if target_id is not None and target_id in {_id(value) for value in ids}:
        return True
    if not _deps(owner, key):
        pending.add(unknown)  # an unknown id from nowhere recorded: it may be the target's
    return False


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    return [term.strip() for term in [*terms, current] if term.strip()]


def _term_holds(term: str, labels: Mapping[str, Any]) -> bool:
    if match := _SET.fullmatch(term):
        key, operator, values = match.groups()
        listed = {value.strip() for value in values.split(",")}
        inside = key in labels and str(labels[key]) in listed
        return inside if operator == "in" else not inside
    if match := _EQUALS.fullmatch(term):
        key, operator, value = match.groups()
        equal = key in labels and str(labels[key]) == value
        return not equal if operator == "!=" else equal
    if match := _EXISTS.fullmatch(term):
        negated, key = match.groups()
        return (key in labels) != bool(negated)
    return False  # not a selector we can read: it selects nothing we can prove


def selects(selector: str, labels: Mapping[str, Any]) -> bool:
    """Whether a Hetzner Cloud label selector selects a server with ``labels``."""
    terms = _split_terms(selector)
    return bool(terms) and all(_term_holds(term, labels) for term in terms)


class _Labels:
    """A server's labels for selector matching; unknown labels defer a non-matching selector."""

    def __init__(self, server: PolicyResource, pending: _Pending) -> None:
        self.known, self.unknown = _read_map(server.props, "labels")
        self.pending = pending

    def selected_by(self, selectors: list[Any], unknown: UnknownValueError | None) -> bool:
        if any(selects(str(selector), self.known) for selector in selectors):
            return True
        self.pending.add(unknown)
        if selectors:
            self.pending.add(self.unknown)
        return False


def _droplet_covered(droplet: PolicyResource, firewalls: list[PolicyResource]) -> bool:
    pending = _Pending()
    own_id = _own_id(droplet)
    tags, tags_unknown = _read_list(droplet.props, "tags")
    tag_deps = _deps(droplet, "tags")
    for firewall in firewalls:
        if _names(firewall, "dropletIds", droplet, own_id, pending):
            return True
        if tag_deps & _deps(firewall, "tags"):
            return True  # both carry the same digitalocean.Tag
        firewall_tags, firewall_tags_unknown = _read_list(firewall.props, "tags")
        if {str(tag) for tag in tags} & {str(tag) for tag in firewall_tags}:
            return True
        if tags or tags_unknown:
            pending.add(firewall_tags_unknown)
        if firewall_tags or firewall_tags_unknown:
            pending.add(tags_unknown)
    pending.raise_if_any()
    return False


def _server_covered(
    server: PolicyResource, attachments: list[PolicyResource], firewalls: list[PolicyResource]
) -> bool:
    pending = _Pending()
    firewall_ids, unknown = _read(server.props, "firewallIds")
    if firewall_ids:
        return True
    pending.add(unknown)
    own_id = _own_id(server)
    labels = _Labels(server, pending)
    for attachment in attachments:
        if _names(attachment, "serverIds", server, own_id, pending):
            return True
        if labels.selected_by(*_read_list(attachment.props, "labelSelectors")):
            return True
    for firewall in firewalls:
        if server.urn in _deps(firewall, "applyTos"):
            return True
        targets, targets_unknown = _read_list(firewall.props, "applyTos")
        if not _deps(firewall, "applyTos"):
            pending.add(targets_unknown)
        for target in targets:
            server_id, id_unknown = _read(target, "server")
            if own_id is not None and server_id is not None and _id(server_id) == own_id:
                return True
            if not _deps(firewall, "applyTos"):
                pending.add(id_unknown)
            selector, selector_unknown = _read(target, "labelSelector")
            selectors = [] if selector is None else [selector]
            if labels.selected_by(selectors, selector_unknown):
                return True
    pending.raise_if_any()
    return False


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    by_type: dict[str, list[PolicyResource]] = {}
    for resource in args.resources:
        by_type.setdefault(resource.resource_type, []).append(resource)
    for resource in args.resources:
        if resource.resource_type == DO_DROPLET:
            if not resource.props.get("sshKeys"):
                report_violation(f"Droplet {resource.name} has no sshKeys.", resource.urn)
            if not _droplet_covered(resource, by_type.get(DO_FIREWALL, [])):
                report_violation(
                    f"Droplet {resource.name} is covered by no digitalocean.Firewall of the "
                    "stack (by dropletIds or tags).",
                    resource.urn,
                )
        elif resource.resource_type == HCLOUD_SERVER:
            if not resource.props.get("sshKeys"):
                report_violation(f"Server {resource.name} has no sshKeys.", resource.urn)
            if not _server_covered(
                resource,
                by_type.get(HCLOUD_FIREWALL_ATTACHMENT, []),
                by_type.get(HCLOUD_FIREWALL, []),
            ):
                report_violation(
                    f"Server {resource.name} has no firewallIds, and no hcloud "
                    "FirewallAttachment or Firewall applyTos of the stack selects it.",
                    resource.urn,
                )


server_has_firewall_and_ssh_keys = stack_rule(
    name="server-has-firewall-and-ssh-keys",
    rule_id="CLD-002",
    resource_types=RESOURCE_TYPES,
    description=(
        "Cloud servers (DigitalOcean droplets, Hetzner Cloud servers) have SSH keys and are "
        "covered by a cloud firewall of the stack."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Pass `ssh_keys` (fingerprints or ids of `SshKey` resources). Cover the server with a "
        "firewall: on DigitalOcean list `droplet.id` in a `Firewall`'s `droplet_ids` or share a "
        "tag; on Hetzner Cloud set `firewall_ids`, or use a `FirewallAttachment` or the "
        "firewall's `apply_tos` (server id or label selector)."
    ),
    validate=_validate,
)
