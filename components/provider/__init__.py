"""The component provider: this library's components for every Pulumi language.

``components.provider.facades`` holds the facades (their args as types Pulumi's schema can
express); ``python -m components.provider ENGINE_ADDRESS`` (or the plugin directory
``components/provider``, which has ``PulumiPlugin.yaml``) serves them over Pulumi's provider
protocol through ``pulumi.provider.experimental.component_provider_host``, which infers the
package schema from their type annotations.
"""

from importlib.metadata import version

PACKAGE = "selfhosted"
DISTRIBUTION = "selfhosted-platform"


def serve() -> None:
    """Start the provider: prints its port, then answers the engine until it is stopped."""
    from pulumi.provider.experimental import component_provider_host  # noqa: PLC0415

    from .facades import COMPONENTS  # noqa: PLC0415

    component_provider_host(list(COMPONENTS), name=PACKAGE, version=version(DISTRIBUTION))
