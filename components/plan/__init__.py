"""The offline plan: this very program under Pulumi's mock runtime, then the policy pack.

Importable so tests, and other teams testing their own stacks, use the same code::

    from components.plan import plan_stack
    result = plan_stack(Path("."), "prod")  # raises SpecError on a config error
    assert not result.mandatory_violations
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from components.spec import SpecError

from .policy_runner import (
    PolicyPackProcess,
    Violation,
    load_policy_config,
    mandatory,
)
from .recording import RecordedResource, public_view, run_program
from .stack_file import StackConfig, StackFileError, read_project_name, read_stack_config
from .stack_spec import read_stack_spec

POLICY_DIR = "policies"
POLICY_CONFIG = "policy-config.json"

__all__ = [
    "PlanResult",
    "PolicyPackProcess",
    "RecordedResource",
    "StackConfig",
    "StackFileError",
    "Violation",
    "plan_stack",
    "public_view",
    "read_stack_config",
    "run_program",
]


@dataclass
class PlanResult:
    stack: str
    resources: list[RecordedResource]
    violations: list[Violation] = field(default_factory=list)
    # Decrypted config secrets, only so printed output can hide them (passphrase.redact).
    secret_values: tuple[str, ...] = field(default=(), repr=False)

    @property
    def mandatory_violations(self) -> list[Violation]:
        return mandatory(self.violations)

    def as_json(self) -> dict[str, object]:
        return {
            "stack": self.stack,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "custom": r.custom,
                    "inputs": public_view(r.inputs),
                    "dependencies": r.dependencies,
                    "provider": r.provider,
                    "protect": r.protect,
                }
                for r in self.resources
            ],
            "violations": [v.as_json() for v in self.violations],
        }


def plan_stack(
    project_dir: Path,
    stack: str,
    config_file: Path | None = None,
    policy_dir: Path | None = None,
    passphrase: str | None = None,
) -> PlanResult:
    """Run ``project_dir/__main__.py`` for ``stack`` under mocks, then its policy pack.

    With ``passphrase``, ``secure:`` config values are decrypted (passphrase provider) and reach
    the program as secrets; without it they are secret placeholders. A config error raises
    ``SpecError`` (every problem at once): the program stops before any resource is declared and
    before policies run, so no result could look clean. Any other program error propagates.
    """
    stack_file = config_file or project_dir / f"Pulumi.{stack}.yaml"
    # The stack file says which leaves of platform:secrets are stored encrypted; the Pulumi
    # runtime, and so the program, only knows whole keys. A plaintext leaf is found here.
    read_stack_spec(stack_file)
    config = read_stack_config(stack_file, passphrase)
    run = run_program(
        project_dir / "__main__.py",
        project=read_project_name(project_dir),
        stack=stack,
        config=config.values,
        secret_keys=config.secret_keys,
    )
    spec_error = _spec_error(run.error)
    if spec_error is not None:
        raise spec_error
    if run.error is not None:
        raise run.error
    pack_dir = policy_dir or project_dir / POLICY_DIR
    with PolicyPackProcess(pack_dir) as pack:
        pack.configure(load_policy_config(pack_dir / POLICY_CONFIG))
        violations = pack.check(run.resources)
    return PlanResult(
        stack=stack,
        resources=run.resources,
        violations=violations,
        secret_values=config.secret_values,
    )


def _spec_error(error: BaseException | None) -> SpecError | None:
    while error is not None:
        if isinstance(error, SpecError):
            return error
        error = error.__cause__
    return None
