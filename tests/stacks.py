"""Shared helpers: the repo's stack specs and a mock-runtime recorder for components."""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.plan import RecordedResource, run_program
from components.plan.recording import SECRET_SIG_KEY
from components.plan.stack_file import discover_stacks
from components.plan.stack_spec import read_stack_spec
from components.spec import PlatformSpec

ROOT = Path(__file__).resolve().parent.parent
# Every stack of the repository, from its Pulumi.<stack>.yaml files (never a second list).
STACKS = tuple(discover_stacks(ROOT))


def stack_spec(stack: str) -> PlatformSpec:
    """The repo's ``Pulumi.<stack>.yaml`` read as the CLI reads it (namespaces, secret leaves)."""
    return read_stack_spec(ROOT / f"Pulumi.{stack}.yaml")


def record(program: Callable[[], None]) -> list[RecordedResource]:
    """Run ``program`` under Pulumi's mocks and return every registration; fail on an error."""
    run = run_program(program, project="test", stack="test", config={})
    if run.error is not None:
        raise run.error
    return run.resources


def by_name(resources: list[RecordedResource]) -> dict[str, RecordedResource]:
    return {r.name: r for r in resources}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG_KEY in value


def ed25519_public_key(seed: str, comment: str = "") -> str:
    """A well-formed OpenSSH ed25519 public key line whose 32 key bytes come from ``seed``.

    Its form is what `ssh-keygen -t ed25519` writes (RFC 8709: string "ssh-ed25519", string
    key); the bytes are not a point anyone holds a private key for, which the spec never needs.
    """
    kind = b"ssh-ed25519"
    key = hashlib.sha256(seed.encode()).digest()
    blob = struct.pack(">I", len(kind)) + kind + struct.pack(">I", len(key)) + key
    line = f"ssh-ed25519 {base64.b64encode(blob).decode()}"
    return f"{line} {comment}" if comment else line
