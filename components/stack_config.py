"""Read the ``platform`` config namespace from the Pulumi runtime and validate it."""

from __future__ import annotations

import pulumi
import pulumi.runtime.config as runtime_config

from components.spec import PlatformSpec, parse_platform
from components.spec.errors import CONFIG_NAMESPACE


def load_platform_spec() -> PlatformSpec:
    """Validate this stack's config; raises ``SpecError`` naming every bad path and value."""
    # pulumi.Config reads one key at a time; listing the namespace is what lets unknown keys
    # (typos) be reported instead of silently ignored.
    keys = {*runtime_config.CONFIG.get(), *runtime_config.get_config_env()}
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    values: dict[str, str] = {}
    secrets: set[str] = set()
    for key in keys:
        namespace, _, name = key.partition(":")
        if namespace != CONFIG_NAMESPACE:
            continue
        value = runtime_config.get_config(key)
        if value is None:
            continue
        values[name] = value
        if runtime_config.is_config_secret(key) or key in secret_keys:
            secrets.add(name)
    return parse_platform(values, secrets)


def platform_secret(name: str) -> pulumi.Output[str]:
    return pulumi.Config(CONFIG_NAMESPACE).require_secret(name)
