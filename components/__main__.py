"""Command line: ``plan STACK``, ``render STACK`` and ``secret init|encrypt|verify --stack STACK``.

Exit status of ``plan``: 0 clean or advisory only, 1 a mandatory violation, 2 a config error
(including an incorrect passphrase). ``plan`` decrypts ``secure:`` values when
PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is set, as the Pulumi CLI does, and
always prints secrets as ``[secret]``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from components.derive import nat_plan
from components.plan import StackFileError, plan_stack, read_stack_config
from components.plan.passphrase import (
    PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
    PassphraseError,
    passphrase_from_env,
    redact,
)
from components.plan.report import render_report
from components.plan.stack_file import (
    encrypt_config_value,
    init_encryption_salt,
)
from components.render import host_files
from components.spec import SpecError, parse_platform
from components.spec.errors import CONFIG_NAMESPACE

EXIT_OK, EXIT_MANDATORY, EXIT_CONFIG = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="declare the stack under mocks and run the policy pack")
    plan.add_argument("stack")
    plan.add_argument("--config", type=Path, help="read this file instead of Pulumi.STACK.yaml")
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    plan.add_argument("--project", type=Path, default=Path.cwd(), help="project directory")
    render = commands.add_parser("render", help="write the generated host files")
    render.add_argument("stack")
    render.add_argument("--config", type=Path)
    render.add_argument("--out", type=Path, required=True)
    render.add_argument("--project", type=Path, default=Path.cwd())
    _secret_parser(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "plan":
            return _plan(args)
        if args.command == "secret":
            return _secret(args)
        return _render(args)
    except (StackFileError, PassphraseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except SpecError as error:
        print(f"error: invalid stack config:\n{error}", file=sys.stderr)
        return EXIT_CONFIG


def _secret_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _plan(args: argparse.Namespace) -> int:
    passphrase = passphrase_from_env(os.environ)
    result = plan_stack(args.project, args.stack, args.config, passphrase=passphrase)
    if result.config_error is not None:
        raise result.config_error
    text = json.dumps(result.as_json(), indent=2) if args.json else render_report(result)
    # The program keeps config secrets wrapped; this also hides any that leaked out unwrapped.
    print(redact(text, result.secret_values))
    return EXIT_MANDATORY if result.mandatory_violations else EXIT_OK


def _secret(args: argparse.Namespace) -> int:
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
    return EXIT_OK


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


def _render(args: argparse.Namespace) -> int:
    config = read_stack_config(args.config or args.project / f"Pulumi.{args.stack}.yaml")
    prefix = f"{CONFIG_NAMESPACE}:"
    spec = parse_platform(
        {k.removeprefix(prefix): v for k, v in config.values.items() if k.startswith(prefix)},
        {k.removeprefix(prefix) for k in config.secret_keys if k.startswith(prefix)},
    )
    host_dir = args.out / spec.host.name
    for item in host_files(spec, nat_plan(spec)):
        target = host_dir / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.text)
        target.chmod(0o755 if item.executable else 0o644)
        print(target)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
