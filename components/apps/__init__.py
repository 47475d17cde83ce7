"""Applications, one module each, registered by ``kind``.

An application module owns what the stack knows about one app: its spec model (``Spec``, the
``app:`` block of a service, discriminated on ``kind``), its checks (``problems``), its
renderers and what it adds to the container (``contribute``: env, secrets, config files).
Adding an app is its module, its renderer(s) and its tests; it is listed once, in ``APPS``.

The modules import only ``components.spec.common``, ``components.spec.images`` (which imports
nothing of the spec) and ``components.values`` at import time:
the spec's service model imports this registry, so anything heavier (renderers, derive) is
imported where it is used.
"""

from __future__ import annotations

# The spec's service model builds its `app` union from `kinds.MODULES`, and the app modules use
# the spec's value types: importing the spec first, whatever module is imported first, keeps
# that cycle in one order (spec -> apps.kinds -> app modules -> spec.common).
import components.spec  # noqa: F401  # isort: skip

from .kinds import APPS, MODULES, App, app_of, sidecars_of

__all__ = ["APPS", "MODULES", "App", "app_of", "sidecars_of"]
