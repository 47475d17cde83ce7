"""Command line: ``plan|render|import-ids|policy-config STACK``, ``secret ... --stack STACK`` and
``config-reference``.

Exit status of ``plan``: 0 clean or advisory only, 1 a mandatory violation, 2 a config error
(the stack config, an incorrect passphrase, the policy config, or a missing policy pack: one
line per problem, naming the file and the key). ``plan`` decrypts ``secure:`` values when
PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is set, as the Pulumi CLI does, and
always prints secrets as ``[secret]``. ``policy-config`` writes the merged policy config
(``policy-config.json`` with the stack's ``policyConfig`` output over it) for
``pulumi preview --policy-pack-config``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import sys
from pathlib import Path

from components.derive import connectivity, nat_plan
from components.derive.import_ids import fill_import_file, import_ids
from components.plan import (
    PolicyConfigError,
    PolicyPackError,
    StackFileError,
    plan_stack,
    policy_config_for,
    secret_cli,
)
from components.plan.passphrase import PassphraseError, passphrase_from_env, redact
from components.plan.report import render_report
from components.plan.stack_spec import read_stack_spec
from components.render import host_files
from components.spec import SpecError
from components.spec.reference import config_reference

EXIT_OK, EXIT_MANDATORY, EXIT_CONFIG = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="declare the stack under mocks and run the policy pack")
    plan.add_argument("stack")
    plan.add_argument("--config", type=Path, help="read this file instead of Pulumi.STACK.yaml")
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    plan.add_argument("--project", type=Path, default=Path.cwd(), help="project directory")
    plan.add_argument(
        "--matrix",
        action="store_true",
        help="print only the connectivity matrix (service x Docker network), as seed 004's table",
    )
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
    adopt = commands.add_parser(
        "import-ids", help="print the `pulumi import` ids of an existing bridge and containers"
    )
    adopt.add_argument("stack")
    adopt.add_argument("--config", type=Path)
    adopt.add_argument("--project", type=Path, default=Path.cwd())
    adopt.add_argument(
        "--fill", type=Path, help="fill the ids into this `pulumi preview --import-file` file"
    )
    commands.add_parser(
        "config-reference", help="print the config reference (docs/config-reference.md)"
    )
    secret_cli.add_parser(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "plan":
            return _plan(args)
        if args.command == "import-ids":
            return _import_ids(args)
        if args.command == "secret":
            return secret_cli.run(args)
        if args.command == "config-reference":
            sys.stdout.write(config_reference())
            return EXIT_OK
        if args.command == "policy-config":
            return _policy_config(args)
        return _render(args)
    except (StackFileError, PassphraseError) as error:
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
    if args.matrix:
        spec = read_stack_spec(args.config or args.project / f"Pulumi.{args.stack}.yaml")
        print(connectivity(spec).as_table())
        return EXIT_OK
    passphrase = passphrase_from_env(os.environ)
    result = plan_stack(args.project, args.stack, args.config, passphrase=passphrase)
    text = json.dumps(result.as_json(), indent=2) if args.json else render_report(result)
    # The program keeps config secrets wrapped; this also hides any that leaked out unwrapped.
    print(redact(text, result.secret_values))
    return EXIT_MANDATORY if result.mandatory_violations else EXIT_OK


def _import_ids(args: argparse.Namespace) -> int:
    ids = import_ids(read_stack_spec(args.config or args.project / f"Pulumi.{args.stack}.yaml"))
    if args.fill is None:
        width = max(len(item.name) for item in ids)
        for item in ids:
            print(f"{item.name:<{width}}  {item.id:<16}  {item.type}")
        print(
            "\nImport under the program's parents and provider: `pulumi preview --stack "
            f"{args.stack} --import-file import.json`, then `python -m components import-ids "
            f"{args.stack} --fill import.json`, then `pulumi import --stack {args.stack} "
            "--file import.json --protect=false` (docs/proxmox.md)."
        )
        return EXIT_OK
    document = json.loads(args.fill.read_text())
    filled, removed = fill_import_file(document, ids)
    args.fill.write_text(json.dumps(document, indent=2) + "\n")
    print(f"{args.fill}: ids for {', '.join(filled) or 'nothing'}")
    if removed:
        print(f"removed (created by `pulumi up`, not imported): {', '.join(removed)}")
    return EXIT_OK


def _policy_config(args: argparse.Namespace) -> int:
    config = policy_config_for(
        args.project, args.stack, args.config, passphrase=passphrase_from_env(os.environ)
    )
    text = json.dumps(config, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return EXIT_OK


def _render(args: argparse.Namespace) -> int:
    spec = read_stack_spec(args.config or args.project / f"Pulumi.{args.stack}.yaml")
    for name, host in sorted(spec.proxmox_hosts().items()):
        host_dir = args.out / name
        for item in host_files(host, nat_plan(spec, name)):
            target = host_dir / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item.text)
            target.chmod(0o755 if item.executable else 0o644)
            print(target)
    return EXIT_OK


def _close_event_loops() -> None:
    """Finalise the event loops the Pulumi SDK leaves unreferenced while their sockets still
    exist: left to the interpreter's exit, a loop may be finalised after its self-pipe socket and
    print "Exception ignored ... Invalid file descriptor" after the last line of our output."""
    gc.collect()
    for item in gc.get_objects():
        if isinstance(item, asyncio.AbstractEventLoop) and not item.is_running():
            with contextlib.suppress(RuntimeError, OSError, ValueError):
                item.close()


if __name__ == "__main__":
    status = main()
    _close_event_loops()
    sys.exit(status)
