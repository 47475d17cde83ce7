"""The offline plan: this very program under Pulumi's mock runtime, then the policy pack.

Importable so tests, and other teams testing their own stacks, use the same code::

    from components.plan import plan_stack
    result = plan_stack(Path("."), "prod")  # raises SpecError on a config error
    assert not result.mandatory_violations

Two stack outputs feed the policy report (names fixed with the program):

* ``policyConfig``: policy config derived from the stack (for example the public and media
  ports it opens), merged over ``policies/policy-config.json``, stack values winning per key.
  ``python -m components policy-config STACK --out FILE`` writes the merged file that
  ``pulumi preview --policy-pack-config FILE`` should use, so the engine sees the same.
* ``configPaths``: ``{resource name: config path}``; a violation or exception on one of those
  resources names the stack config key it came from (``platform:services.mysql``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from components import names
from components.spec import CONFIG_NAMESPACE, SECRETS_KEY, SpecError

from .policy_runner import (
    AppliedException,
    PolicyConfigError,
    PolicyDescription,
    PolicyPackError,
    PolicyPackProcess,
    Violation,
    load_policy_config,
    mandatory,
    merge_policy_config,
    normalize_policy_config,
    resource_name,
)
from .recording import ProgramRun, RecordedResource, public_view, run_program
from .stack_file import StackConfig, StackFileError, read_project_name, read_stack_config
from .stack_spec import read_stack_spec

PLATFORM_SECRETS = f"{CONFIG_NAMESPACE}:{SECRETS_KEY}"
POLICY_DIR = "policies"


def policy_pack_dir() -> Path:
    """The policy pack that came with this library: ``policies/`` next to ``components/``, in
    this repository and in an installed wheel alike (pyproject.toml ships both). Run it as a
    directory (``PolicyPackProcess(policy_pack_dir())``, ``plan_stack(..., policy_dir=...)``,
    ``pulumi preview --policy-pack`` it)."""
    return Path(__file__).resolve().parents[2] / POLICY_DIR


POLICY_CONFIG = "policy-config.json"
# The program's outputs the report reads (named in components/names.py).
POLICY_CONFIG_OUTPUT = names.OUTPUT_POLICY_CONFIG
CONFIG_PATHS_OUTPUT = names.OUTPUT_CONFIG_PATHS

__all__ = [
    "AppliedException",
    "PlanResult",
    "PolicyConfigError",
    "PolicyPackError",
    "PolicyPackProcess",
    "RecordedResource",
    "StackConfig",
    "StackFileError",
    "Violation",
    "plan_stack",
    "policy_config_for",
    "policy_pack_dir",
    "public_view",
    "read_stack_config",
    "run_program",
]


@dataclass
class PlanResult:
    stack: str
    resources: list[RecordedResource]
    violations: list[Violation] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)  # root stack outputs, "[secret]"
    # Decrypted config secrets, only so printed output can hide them (passphrase.redact).
    secret_values: tuple[str, ...] = field(default=(), repr=False)
    exceptions: list[AppliedException] = field(default_factory=list)
    policies: list[PolicyDescription] = field(default_factory=list)
    policy_config: dict[str, dict[str, Any]] = field(default_factory=dict)  # as sent

    @property
    def mandatory_violations(self) -> list[Violation]:
        return mandatory(self.violations)

    def as_json(self) -> dict[str, object]:
        """Sorted (resources by URN, findings by policy and URN, dependencies): two plans of
        one stack print byte-identical JSON."""
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
                    "dependencies": sorted(r.dependencies),
                    "provider": r.provider,
                    "protect": r.protect,
                }
                for r in sorted(self.resources, key=lambda r: r.urn)
            ],
            "outputs": self.outputs,
            "violations": [
                v.as_json() for v in sorted(self.violations, key=lambda v: (v.policy, v.urn))
            ],
            "exceptions": [
                e.as_json() for e in sorted(self.exceptions, key=lambda e: (e.policy, e.urn))
            ],
        }


def _run(
    project_dir: Path, stack: str, config_file: Path | None, passphrase: str | None
) -> tuple[ProgramRun, tuple[str, ...]]:
    """The program under mocks; a config error (``SpecError``) is raised, never returned."""
    stack_file = config_file or project_dir / f"Pulumi.{stack}.yaml"
    config = read_stack_config(stack_file, passphrase)
    if PLATFORM_SECRETS in config.values:
        # The stack file says which leaves of platform:secrets are stored encrypted; the Pulumi
        # runtime, and so the program, only knows whole keys. A plaintext leaf is found here.
        # (Only for this library's platform stacks: other programs have their own config.)
        read_stack_spec(stack_file)
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
    return run, config.secret_values


def _merged_config(
    pack: PolicyPackProcess, pack_dir: Path, outputs: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """``policy-config.json`` with the stack's ``policyConfig`` output merged over it; every
    problem of either, one line each naming the file or the output and the key."""
    path = pack_dir / POLICY_CONFIG
    base = load_policy_config(path)
    source = f"stack output {POLICY_CONFIG_OUTPUT}"
    derived = normalize_policy_config(outputs.get(POLICY_CONFIG_OUTPUT) or {}, source)
    problems = pack.config_problems(base, str(path)) + pack.config_problems(derived, source)
    if problems:
        raise PolicyConfigError(problems)
    return merge_policy_config(base, derived)


def policy_config_for(
    project_dir: Path,
    stack: str,
    config_file: Path | None = None,
    policy_dir: Path | None = None,
    passphrase: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The policy config the stack is checked with: what ``pulumi preview
    --policy-pack-config`` should read. Raises ``SpecError`` for a bad stack config."""
    run, _ = _run(project_dir, stack, config_file, passphrase)
    pack_dir = policy_dir or project_dir / POLICY_DIR
    with PolicyPackProcess(pack_dir) as pack:
        return _merged_config(pack, pack_dir, run.outputs)


def plan_stack(
    project_dir: Path,
    stack: str,
    config_file: Path | None = None,
    policy_dir: Path | None = None,
    passphrase: str | None = None,
) -> PlanResult:
    """Run ``project_dir/__main__.py`` for ``stack`` under mocks, then its policy pack.

    With ``passphrase``, ``secure:`` config values are decrypted (passphrase provider) and reach
    the program as secrets; without it they are placeholders. A config error raises
    ``SpecError`` (nothing is declared, no policy runs): a bad stack never reads as a clean
    plan. A broken policy config raises ``PolicyConfigError``, a missing pack
    ``PolicyPackError``. Any other program error propagates.
    """
    run, secret_values = _run(project_dir, stack, config_file, passphrase)
    pack_dir = policy_dir or project_dir / POLICY_DIR
    with PolicyPackProcess(pack_dir) as pack:
        policy_config = _merged_config(pack, pack_dir, run.outputs)
        pack.configure(policy_config)
        findings = pack.findings(run.resources)
        policies = pack.policies()
    paths = run.outputs.get(CONFIG_PATHS_OUTPUT)
    paths = paths if isinstance(paths, dict) else {}
    return PlanResult(
        stack=stack,
        resources=run.resources,
        violations=[
            replace(v, config_path=str(paths.get(resource_name(v.urn), "")))
            for v in findings.violations
        ],
        outputs=run.outputs,
        exceptions=[
            replace(e, config_path=str(paths.get(resource_name(e.urn), "")))
            for e in findings.exceptions
        ],
        policies=policies,
        policy_config=policy_config,
        secret_values=secret_values,
    )


def _spec_error(error: BaseException | None) -> SpecError | None:
    while error is not None:
        if isinstance(error, SpecError):
            return error
        error = error.__cause__
    return None
