"""Errors for renderer inputs that would produce a broken or unsafe file.

The spec layer reports config mistakes with their config path; these checks guard the
renderers themselves (a caller wiring the wrong value), and list every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Values that reach a shell command line, an ssh_config token or a YAML key unquoted.
SAFE_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/@%+=:,-]*$")
UNIX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# OpenSSH public key line: type, base64 blob, optional comment.
PUBLIC_KEY = re.compile(
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com"
    r"|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$"
)
HOST_KEY = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}$")


class RenderInputError(ValueError):
    """Renderer inputs are invalid; the message lists each as `field=value: allowed`."""

    def __init__(self, what: str, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{what}: " + "; ".join(self.problems))


def check(problems: list[str], ok: bool, field: str, value: object, allowed: str) -> None:
    """Append `field: value: allowed` to problems unless ok."""
    if not ok:
        problems.append(f"{field}={value!r}: {allowed}")


def check_port(problems: list[str], field: str, value: int) -> None:
    check(problems, 1 <= value <= 65535, field, value, "a port number 1-65535")


def raise_if(what: str, problems: Sequence[str]) -> None:
    if problems:
        raise RenderInputError(what, problems)
