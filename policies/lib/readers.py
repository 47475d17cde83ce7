"""Unknown-aware readers of provider properties, shared by every rule.

Policies get ``args.props`` as the SDK's proxy: reading an unknown value (one not known during
preview) raises ``UnknownValueError``, and the SDK then reports the policy as not run
(advisory) for that resource, keeping the violations reported before. So a rule reads lazily,
in the order its decision needs, and these readers never read more than they return.
``peek`` is the one exception: it looks at a value without the unknown check, for questions
whose answer does not need the value (is it a secret?).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy.proxy import _DictProxy, _ListProxy


def number(value: Any) -> Any:
    """A number as sent on the wire (protobuf numbers are floats) shown as an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def is_positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def peek(container: Any, key: Any) -> Any:
    """``container[key]`` (None when absent) without the SDK's unknown-value check."""
    target = container["__target"] if isinstance(container, (_DictProxy, _ListProxy)) else container
    try:
        return target[key]
    except (KeyError, IndexError, TypeError):
        return None


def has_keys(container: Mapping[str, Any], *keys: str) -> bool:
    """Whether ``container`` has every key, without reading a value (``key in proxy`` reads
    it, and raises on an unknown one)."""
    present = set(container)  # the SDK's proxy iterates its keys without the unknown check
    return all(key in present for key in keys)


def label(props: Mapping[str, Any], name: str) -> Any:
    """The value of the Docker label ``name`` (pulumi-docker sends labels as a list of
    ``{label, value}``), or None. Reads ``labels`` and each entry's ``label``; the value only
    of the matching entry."""
    for entry in props.get("labels") or []:
        if entry.get("label") == name:
            return entry.get("value")
    return None


def text(value: Any) -> str:
    """A value for a message: numbers as ints, None as ``(none)``."""
    if value is None or value == "":
        return "(none)"
    return str(number(value))


def capability_name(value: str) -> str:
    """A Linux capability as Docker reads it: ``cap_sys_admin`` and `` SYS_ADMIN`` are
    ``SYS_ADMIN`` (case-insensitive, with or without ``CAP_``)."""
    return value.strip().upper().removeprefix("CAP_")
