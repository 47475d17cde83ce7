"""Keep Pulumi's secret marker visible to policies.

The engine sends resource properties to analyzers with secrets still wrapped (it marshals with
``KeepSecrets: true``), but pulumi_policy's Analyze/AnalyzeStack unwrap them before a policy
sees them, so a policy cannot tell ``Output.secret("hunter2")`` from ``"hunter2"``. The
plaintext-secret rules need exactly that distinction. ``install()`` wraps the SDK's
deserializer so that text that arrived inside a secret is a ``SecretText`` (a ``str``
subclass): every other policy keeps reading plain strings, and ``is_secret`` can ask.

The pack pins pulumi-policy (requirements.txt), and tests drive the real pack process, so a
change in the SDK's internals fails the suite rather than silently disabling the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_policy.deserialize as sdk_deserialize
import pulumi_policy.policy as sdk_policy
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG as SECRET_SIG
from pulumi_policy.deserialize import SPECIAL_SIG_KEY as SIG_KEY


class SecretText(str):
    """Text that reached the pack as a Pulumi secret."""

    __slots__ = ()


def is_secret(value: Any) -> bool:
    return isinstance(value, SecretText)


def _mark(value: Any, secret: bool = False) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return _mark(value.get("value"), secret=True)
        return {key: _mark(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark(item, secret) for item in value]
    if secret and isinstance(value, str):
        return SecretText(value)
    return value


def _deserialize(value: Any, secret: bool) -> Any:
    """The SDK's ``_deserialize_property`` (without secret proxies), keeping the marker.

    One pass instead of marking and then deserializing: the SDK calls this once per policy for
    every resource, so a second walk over the properties is most of what the pack costs on
    top of the protocol. Assets and archives (rare) are left to the SDK.
    """
    if type(value) is dict:
        sig = value.get(SIG_KEY)
        if sig is None:
            return {
                key: _deserialize(item, secret)
                if type(item) is dict or type(item) is list
                else (SecretText(item) if secret and type(item) is str else item)
                for key, item in value.items()
            }
        if sig == SECRET_SIG:
            if "value" not in value:
                raise AssertionError(
                    "Invalid secret encountered when unmarshaling resource property"
                )
            return _deserialize(value["value"], True)
        return sdk_deserialize._deserialize_property(value)
    if type(value) is list:
        return [
            _deserialize(item, secret)
            if type(item) is dict or type(item) is list
            else (SecretText(item) if secret and type(item) is str else item)
            for item in value
        ]
    if secret and type(value) is str:
        return SecretText(value)
    return value


def install() -> None:
    """Make the SDK keep secret text marked; idempotent."""
    original: Callable[..., dict[str, Any]] = getattr(sdk_policy, "deserialize_properties")  # noqa: B009
    if getattr(original, "_keeps_secret_marker", False):
        return

    def deserialize_keeping_secrets(
        props: dict[str, Any], proxy_secrets: bool = False
    ) -> dict[str, Any]:
        if proxy_secrets:  # Remediate: the SDK's own secret proxies, over marked text
            return original(_mark(props), True)
        result: dict[str, Any] = _deserialize(props, False)
        return result

    deserialize_keeping_secrets._keeps_secret_marker = True  # type: ignore[attr-defined]
    setattr(sdk_policy, "deserialize_properties", deserialize_keeping_secrets)  # noqa: B010
