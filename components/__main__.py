"""Command line: ``python -m components plan|render|policy-config STACK``.

Exit status of ``plan``: 0 clean or advisory only, 1 a mandatory violation, 2 a config error
(the stack config, the policy config, or a missing policy pack: one line per problem, naming
the file and the key). ``policy-config`` writes the merged policy config (``policy-config.json``
with the stack's ``policyConfig`` output over it) for ``pulumi preview --policy-pack-config``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from components.derive import nat_plan
from components.plan import (
    PolicyConfigError,
    PolicyPackError,
    StackFileError,
    plan_stack,
    policy_config_for,
    read_stack_config,
)
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
    policy = commands.add_parser(
        "policy-config", help="write the policy config the stack is checked with"
    )
    policy.add_argument("stack")
    policy.add_argument("--config", type=Path, help="read this file instead of Pulumi.STACK.yaml")
    policy.add_argument("--out", type=Path, help="write here instead of standard output")
    policy.add_argument("--project", type=Path, default=Path.cwd(), help="project directory")
    render = commands.add_parser("render", help="write the generated host files")
    render.add_argument("stack")
    render.add_argument("--config", type=Path)
    render.add_argument("--out", type=Path, required=True)
    render.add_argument("--project", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    try:
        if args.command == "plan":
            return _plan(args)
        if args.command == "policy-config":
            return _policy_config(args)
        return _render(args)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except SpecError as error:
        print(f"error: invalid stack config:\n{error}", file=sys.stderr)
        return EXIT_CONFIG
    except PolicyConfigError as error:
        for problem in error.problems:
            print(f"error: invalid policy config: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except PolicyPackError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG


def _plan(args: argparse.Namespace) -> int:
    result = plan_stack(args.project, args.stack, args.config)
    if result.config_error is not None:
        raise result.config_error
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        print(render_report(result))
    return EXIT_MANDATORY if result.mandatory_violations else EXIT_OK


def _policy_config(args: argparse.Namespace) -> int:
    config = policy_config_for(args.project, args.stack, args.config)
    text = json.dumps(config, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return EXIT_OK


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
