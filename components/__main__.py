"""Command line: ``plan STACK``, ``render STACK`` and ``secret init|encrypt|verify --stack STACK``.

Exit status of ``plan``: 0 clean or advisory only, 1 a mandatory violation, 2 a config error
(including an incorrect passphrase). ``plan`` decrypts ``secure:`` values when
PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is set, as the Pulumi CLI does, and
always prints secrets as ``[secret]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from components.derive import nat_plan
from components.plan import StackFileError, plan_stack, read_stack_config, secret_cli
from components.plan.passphrase import PassphraseError, passphrase_from_env, redact
from components.plan.report import render_report
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
    secret_cli.add_parser(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "plan":
            return _plan(args)
        if args.command == "secret":
            return secret_cli.run(args)
        return _render(args)
    except (StackFileError, PassphraseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except SpecError as error:
        print(f"error: invalid stack config:\n{error}", file=sys.stderr)
        return EXIT_CONFIG


def _plan(args: argparse.Namespace) -> int:
    passphrase = passphrase_from_env(os.environ)
    result = plan_stack(args.project, args.stack, args.config, passphrase=passphrase)
    if result.config_error is not None:
        raise result.config_error
    text = json.dumps(result.as_json(), indent=2) if args.json else render_report(result)
    # The program keeps config secrets wrapped; this also hides any that leaked out unwrapped.
    print(redact(text, result.secret_values))
    return EXIT_MANDATORY if result.mandatory_violations else EXIT_OK


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
