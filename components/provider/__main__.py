"""The provider plugin's entry point, as ``pulumi`` starts a Python plugin: ``python
components/provider ENGINE_ADDRESS`` (the plugin directory) or ``python -m
components.provider ENGINE_ADDRESS``."""

from components.provider import serve

if __name__ == "__main__":
    serve()
