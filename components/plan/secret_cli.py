"""``python -m components secret init|encrypt|verify --stack STACK``: the passphrase provider.

``init`` writes a new ``encryptionsalt`` (as ``pulumi stack init --secrets-provider
passphrase``), ``encrypt`` stores the value read on stdin as ``KEY: {secure: ...}`` (as ``pulumi
config set --secret KEY``), ``verify`` checks that the passphrase opens every ``secure:`` value.
The passphrase comes from PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, else from
the terminal. Errors raise :class:`StackFileError` or :class:`PassphraseError` (exit status 2).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from .passphrase import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, PassphraseError, passphrase_from_env
from .stack_file import encrypt_config_value, init_encryption_salt, read_stack_config


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    secret = commands.add_parser(
        "secret",
        help="passphrase secrets provider: encryptionsalt and secure: values in Pulumi.STACK.yaml",
        description=(
            f"The passphrase comes from {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV}, "
            "else it is asked for on the terminal."
        ),
    )
    actions = secret.add_subparsers(dest="action", required=True)
    init = actions.add_parser("init", help="write a new encryptionsalt (pulumi stack init)")
    encrypt = actions.add_parser(
        "encrypt",
        help="read a value on stdin, store it as KEY: {secure: ...} (pulumi config set --secret)",
    )
    encrypt.add_argument("key", metavar="KEY", help="namespace:name, e.g. platform:sshPrivateKey")
    verify = actions.add_parser(
        "verify", help="check the passphrase and that every secure: value decrypts"
    )
    for action in (init, encrypt, verify):
        action.add_argument("--stack", required=True)
        action.add_argument("--project", type=Path, default=Path.cwd())


def run(args: argparse.Namespace) -> int:
    path = args.project / f"Pulumi.{args.stack}.yaml"
    if args.action == "init":
        passphrase = _passphrase(confirm=True)
        init_encryption_salt(path, passphrase)
        print(f"{path}: new encryptionsalt written", file=sys.stderr)
    elif args.action == "encrypt":
        passphrase = _passphrase(confirm=False)
        # As `pulumi config set` reading stdin: the value without its one trailing newline.
        value = sys.stdin.read().removesuffix("\n")
        encrypt_config_value(path, args.key, value, passphrase)
        print(f"{path}: {args.key} set (secure)", file=sys.stderr)
    else:
        config = read_stack_config(path, _passphrase(confirm=False))
        for key in sorted(config.secret_keys):
            print(f"{key}: decrypts")
    return 0


def _passphrase(*, confirm: bool) -> str:
    """From the environment as the Pulumi CLI reads it, else from the terminal (never stdin)."""
    passphrase = passphrase_from_env(os.environ)
    if passphrase is not None:
        return passphrase
    try:
        # getpass would fall back to stdin without a terminal, and stdin carries the value.
        Path("/dev/tty").open().close()
        first = getpass.getpass("Enter your passphrase to protect config/secrets: ")
        if confirm and getpass.getpass("Re-enter your passphrase to confirm: ") != first:
            raise PassphraseError("passphrases do not match")
    except (EOFError, OSError):
        raise PassphraseError(
            f"passphrase must be set with {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV} "
            "environment variables"
        ) from None
    return first
