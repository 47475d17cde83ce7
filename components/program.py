"""The Pulumi program every stack runs: load the spec, derive its plan, build it, export."""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.build import build_stack, export_stack_outputs
from components.derive.plan import stack_plan
from components.hosts import HostContext
from components.spec import SpecError
from components.stack_config import load_platform_spec, secret_reader


def main() -> None:
    try:
        spec = load_platform_spec()
        # The plan's own checks (a machine's memory holds its containers' limits).
        plan = stack_plan(spec)
    except SpecError as error:
        # RunError prints the message alone; nothing has been declared at this point.
        raise pulumi.RunError(f"invalid stack config:\n{error}") from error
    context = HostContext(
        secret=secret_reader(), project_dir=str(Path.cwd()), stack=pulumi.get_stack()
    )
    export_stack_outputs(plan, build_stack(plan, context))
