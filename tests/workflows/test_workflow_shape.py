"""What each workflow promises: previews with the policy pack and a PR comment, approved
deploys one stack at a time, a scheduled drift check, the S3 backend, pinned actions."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest

from tests.stacks import ROOT
from tests.workflows.workflows import WORKFLOW_FILES, load, steps, triggers

PULUMI_ACTION = "pulumi/actions@"
STACK_MATRIX = "${{ fromJSON(needs.stacks.outputs.stacks) }}"
DEPLOY_RUNNER = "${{ vars.DEPLOY_RUNNER || 'deploy' }}"
PREVIEW_RUNNER = "${{ vars.PREVIEW_RUNNER || 'preview' }}"


def _pulumi_step() -> dict[str, Any]:
    (step,) = [
        s
        for s in steps(load("pulumi-stack.yml"), "pulumi")
        if s.get("uses", "").startswith(PULUMI_ACTION)
    ]
    return step


@pytest.mark.parametrize("workflow", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_commit_sha(workflow: Any) -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", workflow.read_text())
    assert uses
    for target, comment in uses:
        if target.startswith("./"):
            continue  # a workflow of this repository
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", target), target
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{target}: name the version"


def test_the_pulumi_step_enforces_the_stack_policy_config_on_the_s3_backend() -> None:
    workflow = load("pulumi-stack.yml")
    job = workflow["jobs"]["pulumi"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    assert job["env"]["AWS_ACCESS_KEY_ID"] == "${{ secrets.STATE_ACCESS_KEY_ID }}"
    assert job["env"]["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.STATE_SECRET_ACCESS_KEY }}"
    runs = "\n".join(s.get("run", "") for s in steps(workflow, "pulumi"))
    assert (
        '.venv/bin/python -m components policy-config "$STACK" --out '
        '"$RUNNER_TEMP/policy-config.json"'
    ) in runs
    assert '.venv/bin/python -m components secret verify --stack "$STACK"' in runs
    assert "s3://*)" in runs
    options = _pulumi_step()["with"]
    assert options["policyPacks"] == "policies"
    assert options["policyPackConfigs"] == "${{ runner.temp }}/policy-config.json"
    assert options["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert options["secrets-provider"] == "passphrase"
    assert options["stack-name"] == "${{ inputs.stack }}"
    assert options["command"] == "${{ inputs.command }}"
    assert options["refresh"] == options["expect-no-changes"] == "${{ inputs.drift }}"
    assert options["comment-on-pr"] == "${{ inputs.comment_on_pr }}"


def test_pull_requests_preview_every_stack_and_comment() -> None:
    workflow = load("preview.yml")
    assert "pull_request" in triggers(workflow)
    job = workflow["jobs"]["preview"]
    assert job["uses"] == "./.github/workflows/pulumi-stack.yml"
    assert job["strategy"]["matrix"]["stack"] == STACK_MATRIX
    assert job["with"]["command"] == "preview"
    assert job["with"]["comment_on_pr"] is True
    assert job["with"]["environment"] == "${{ matrix.stack }}-preview"
    assert job["permissions"]["pull-requests"] == "write"


def test_the_default_branch_deploys_one_approved_stack_at_a_time_after_the_checks() -> None:
    workflow = load("deploy.yml")
    assert "push" in triggers(workflow)
    assert workflow["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    checks = workflow["jobs"]["checks"]
    assert checks["uses"] == "./.github/workflows/ci.yml"
    assert checks["if"] == "github.ref_name == github.event.repository.default_branch"
    assert workflow["jobs"]["stacks"]["needs"] == "checks"
    up = workflow["jobs"]["up"]
    assert up["strategy"]["max-parallel"] == 1
    assert up["strategy"]["fail-fast"] is True
    assert up["strategy"]["matrix"]["stack"] == STACK_MATRIX
    # The environment named like the stack carries the required reviewers.
    assert up["with"] == {
        "stack": "${{ matrix.stack }}",
        "command": "up",
        "environment": "${{ matrix.stack }}",
        "runner": DEPLOY_RUNNER,
    }


def test_pull_request_code_never_runs_on_the_deploy_runner_or_with_its_secrets() -> None:
    # docs/ci-cd.md "What a pull request can reach": the preview of a pull request's code gets
    # its own runner label and environment, and no repository or organisation secret.
    assert load("pulumi-stack.yml")["jobs"]["pulumi"]["runs-on"] == "${{ inputs.runner }}"
    preview = load("preview.yml")["jobs"]["preview"]
    assert preview["with"]["runner"] == PREVIEW_RUNNER
    assert preview["with"]["environment"] == "${{ matrix.stack }}-preview"
    assert "secrets" not in preview
    # The other callers run the default branch's code: on the deploy runner.
    for name, job in (("deploy.yml", "up"), ("drift.yml", "drift")):
        assert load(name)["jobs"][job]["with"]["runner"] == DEPLOY_RUNNER
    assert "DEPLOY_RUNNER" not in PREVIEW_RUNNER
    assert "'deploy'" not in PREVIEW_RUNNER
    # Only preview.yml runs for pull requests among the workflows that reach a Pulumi backend.
    for path in WORKFLOW_FILES:
        workflow = load(path.name)
        if "pull_request" in triggers(workflow) or "pull_request_target" in triggers(workflow):
            assert "pull_request_target" not in triggers(workflow), path.name
            calls = [job.get("with", {}) for job in workflow["jobs"].values()]
            for options in calls:
                if "runner" in options:
                    assert options["runner"] == PREVIEW_RUNNER, path.name


def test_a_schedule_checks_every_stack_for_drift() -> None:
    workflow = load("drift.yml")
    assert triggers(workflow)["schedule"]
    job = workflow["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == STACK_MATRIX
    assert job["with"]["command"] == "preview"
    assert job["with"]["drift"] is True


def test_ci_runs_the_suite_and_the_offline_plan_of_every_stack() -> None:
    workflow = load("ci.yml")
    assert {"pull_request", "workflow_call"} <= set(triggers(workflow))
    assert any("bash scripts/test.sh" in s.get("run", "") for s in steps(workflow, "test"))
    plan = workflow["jobs"]["plan"]
    assert plan["strategy"]["matrix"]["stack"] == STACK_MATRIX
    assert any(
        '.venv/bin/python -m components plan "$STACK"' in s.get("run", "")
        for s in steps(workflow, "plan")
    )


def test_no_workflow_names_a_stack() -> None:
    stacks = [p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml")]
    for workflow in WORKFLOW_FILES:
        # Comments may give examples; the workflow itself must not depend on a stack name.
        text = re.sub(r"(^|\s)#.*$", "", workflow.read_text(), flags=re.MULTILINE)
        for stack in stacks:
            assert not re.search(rf"\b{stack}\b", text), f"{workflow.name} names stack {stack}"


def test_every_cli_command_the_workflows_run_exists() -> None:
    runs = "\n".join(p.read_text() for p in WORKFLOW_FILES)
    commands = set(re.findall(r"python -m components ([a-z-]+(?: [a-z-]+)?)", runs))
    assert commands
    for command in sorted(commands):
        result = subprocess.run(
            [sys.executable, "-m", "components", *command.split(), "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"python -m components {command}: {result.stderr}"
