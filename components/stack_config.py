"""Read the ``platform`` config namespace from the Pulumi runtime and validate it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config

from components.spec import (
    CONFIG_NAMESPACE,
    SECRETS_KEY,
    PlatformSpec,
    SpecError,
    check_namespaces,
    parse_platform,
)


def load_platform_spec() -> PlatformSpec:
    """Validate this stack's config; raises ``SpecError`` naming every bad path and value."""
    # pulumi.Config reads one key at a time; listing the whole config is what lets unknown keys
    # (typos, a misspelt namespace) be reported instead of silently ignored.
    keys = {*runtime_config.CONFIG.get(), *runtime_config.get_config_env()}
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    values: dict[str, str] = {}
    secrets: set[str] = set()
    namespace_problems = check_namespaces(keys)
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
    try:
        spec = parse_platform(values, secrets)
    except SpecError as error:
        raise SpecError([*namespace_problems, *error.problems]) from None
    if namespace_problems:
        raise SpecError(namespace_problems)
    return spec


def secret_reader() -> Callable[[str], pulumi.Output[str]]:
    """A reader of dotted paths under ``platform:secrets``; values are always Pulumi secrets.

    The secrets object is read from the config once, however many services reference it.
    """
    secrets = pulumi.Config(CONFIG_NAMESPACE).require_secret_object(SECRETS_KEY)

    def read(path: str) -> pulumi.Output[str]:
        return secrets.apply(lambda tree: _at(tree, path))

    return read


def _at(tree: Any, path: str) -> str:
    for part in path.split("."):
        tree = tree[part]
    return str(tree)
