"""Exceptions, one way for every rule: a named resource excepted from a named rule, with a reason.

Two places declare one, both read by the factories in ``lib.rule`` for every rule alike:

* a Docker label on the resource (containers, volumes, networks: pulumi-docker resources carry
  ``labels``): ``selfhosted.policy.except.<rule-name>`` = ``<reason>``. It travels with the
  resource, so the program that declares a container declares its exceptions too;
* the rule's policy config key ``exceptions``, for resources without labels (Proxmox guests,
  commands, cloud resources): ``{"<rule-name>": {"exceptions": {"<resource name>":
  "<reason>"}}}``, where the resource name is its logical name (the last part of its URN).

An exception needs a non-empty reason; one without a reason does not apply, and the violation
says so. Exceptions are read only when the rule has found a violation on the resource, so a
label that is unknown during preview defers the rule only for a resource it would report.

A policy level is one per policy, so the engine cannot show an applied exception next to the
violations without failing a mandatory rule: the pack drops excepted violations. The offline
plan sees them anyway: when it starts the pack it sets ``MARK_ENV`` to a marker, and the pack
then reports each excepted violation with that marker and the exception (as JSON) before the
message; the plan's runner takes those out of the violations and lists them as exceptions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.readers import label

LABEL_PREFIX = "selfhosted.policy.except."
CONFIG_KEY = "exceptions"
MARK_ENV = "SELFHOSTED_POLICY_EXCEPTION_MARK"
CONFIG_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
LABELLED_PREFIX = "docker:"  # pulumi-docker resources send labels as [{label, value}]


@dataclass(frozen=True)
class Exemption:
    reason: str
    source: str  # where it was declared, as a user writes it

    def marked(self, mark: str, message: str) -> str:
        """``message`` as reported in the offline plan's explain mode."""
        return f"{mark}{json.dumps({'reason': self.reason, 'source': self.source})}\n{message}"


def declared(
    rule: str,
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None,
) -> Exemption | None:
    """The exception to ``rule`` declared for the resource, if any (the reason may be empty)."""
    by_name = (config or {}).get(CONFIG_KEY) or {}
    if name in by_name:
        return Exemption(str(by_name[name] or "").strip(), f"policy config {rule}.exceptions")
    if resource_type.startswith(LABELLED_PREFIX):
        key = LABEL_PREFIX + rule
        value = label(props, key)
        if value is not None:
            return Exemption(str(value).strip(), f"label {key}")
    return None


# The marker the offline plan asked for, or "" (the engine: excepted means silent). Read once:
# the runner sets it when it starts the pack process.
EXPLAIN_MARK = os.environ.get(MARK_ENV, "")
