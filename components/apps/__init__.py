"""Applications: one module each, owning what the stack knows about the app (its spec model,
its checks, its renderers and what it adds to its container)."""
