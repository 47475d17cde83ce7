"""Docker: an engine on a host or guest, and a container service on any engine."""
