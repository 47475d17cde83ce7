"""The GITHUB_TOKEN each job really gets, computed from the workflow files by GitHub's rules.

GitHub's rules (docs.github.com, "Controlling permissions for GITHUB_TOKEN" and "Reuse
workflows", Access and permissions):
- a job's token comes from its own `permissions`, else its workflow's top-level `permissions`,
  else the repository default; naming any scope sets every unnamed scope to `none`;
- a job that calls a reusable workflow hands its token to the called workflow, which "can only
  downgrade (not elevate)" it; a called job asking for more than it is handed fails the whole
  run before it starts ("The nested job ... is requesting ..., but is only allowed ...").

pulumi/actions posts the preview comment with `github-token` (default `github.token`, its
action.yml) through `octokit.rest.issues.listComments`/`updateComment`/`createComment`
(src/libs/pr.ts, handlePullRequestMessage): on a pull request that needs `pull-requests:
write` (or `issues: write`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from tests.workflows.workflows import WORKFLOW_DIR, WORKFLOW_FILES, load

LEVELS = {"none": 0, "read": 1, "write": 2}
# The scopes GitHub documents for `permissions` (read-all / write-all expand to all of them).
SCOPES = (
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
)
LOCAL = "./.github/workflows/"
Token = dict[str, int]


def token(declared: Any) -> Token:
    """A `permissions` value as {scope: level}, every unnamed scope `none`."""
    if declared in ("read-all", "write-all"):
        level = LEVELS[declared.removesuffix("-all")]
        return dict.fromkeys(SCOPES, level)
    assert isinstance(declared, Mapping), declared
    assert set(declared) <= set(SCOPES), sorted(set(declared) - set(SCOPES))
    return {scope: LEVELS[declared.get(scope, "none")] for scope in SCOPES}


def declared(workflow: Mapping[str, Any], job: str) -> Token | None:
    """What the workflow file says for `job` (job level, else top level), or None."""
    spec = workflow["jobs"][job]
    if "permissions" in spec:
        return token(spec["permissions"])
    if "permissions" in workflow:
        return token(workflow["permissions"])
    return None


@dataclass(frozen=True)
class CalledJob:
    """A job of a reusable workflow as one caller runs it."""

    caller: str  # "<workflow file>:<job>"
    called: str  # "<workflow file>:<job>"
    handed: Token | None  # the caller job's token (None: the repository default)
    requested: Token | None  # what the called file declares for the job
    inputs: Mapping[str, Any]

    @property
    def effective(self) -> Token | None:
        return self.requested if self.requested is not None else self.handed

    def elevations(self) -> list[str]:
        """Scopes the called job asks above what it is handed (each one fails the run)."""
        if self.requested is None or self.handed is None:
            return []
        handed = self.handed
        return [
            f"{scope}: asks {level}, handed {handed[scope]}"
            for scope, level in self.requested.items()
            if level > handed[scope]
        ]


def called_jobs() -> Iterator[CalledJob]:
    for path in WORKFLOW_FILES:
        workflow = load(path.name)
        for job, spec in workflow["jobs"].items():
            uses = spec.get("uses", "")
            if not uses.startswith(LOCAL):
                continue
            name = uses.removeprefix(LOCAL)
            assert (WORKFLOW_DIR / name).is_file(), uses
            called = load(name)
            for called_job in called["jobs"]:
                yield CalledJob(
                    caller=f"{path.name}:{job}",
                    called=f"{name}:{called_job}",
                    handed=declared(workflow, job),
                    requested=declared(called, called_job),
                    inputs=spec.get("with", {}),
                )


def _comments(job: CalledJob) -> bool:
    workflow = load(job.called.split(":")[0])
    steps = workflow["jobs"][job.called.split(":")[1]].get("steps", [])
    for step in steps:
        if not step.get("uses", "").startswith("pulumi/actions@"):
            continue
        comment = str(step.get("with", {}).get("comment-on-pr", "false"))
        if comment == "${{ inputs.comment_on_pr }}":
            return job.inputs.get("comment_on_pr") is True
        return comment == "true"
    return False


def test_the_model_sees_every_call_into_a_reusable_workflow() -> None:
    callers = {job.caller for job in called_jobs()}
    assert {"preview.yml:preview", "deploy.yml:up", "drift.yml:drift"} <= callers
    assert "deploy.yml:checks" in callers  # ci.yml, called before every deploy


def test_a_declared_scope_sets_the_others_to_none() -> None:
    assert token({"contents": "read"})["pull-requests"] == 0
    assert token("read-all")["pull-requests"] == 1


def test_every_preview_that_comments_holds_pull_requests_write() -> None:
    commenting = [job for job in called_jobs() if _comments(job)]
    assert [job.caller for job in commenting] == ["preview.yml:preview"]
    for job in commenting:
        effective = job.effective
        assert effective is not None, f"{job.called} from {job.caller}: the repository default"
        assert effective["pull-requests"] == LEVELS["write"], (
            f"{job.called} from {job.caller} posts the PR comment with pull-requests: "
            f"{effective['pull-requests']} (0 none, 1 read)"
        )


@pytest.mark.parametrize("job", list(called_jobs()), ids=lambda job: f"{job.caller}>{job.called}")
def test_no_called_job_asks_for_more_than_its_caller_hands_it(job: CalledJob) -> None:
    assert job.elevations() == []


@pytest.mark.parametrize("job", list(called_jobs()), ids=lambda job: f"{job.caller}>{job.called}")
def test_every_called_job_runs_with_an_explicit_token(job: CalledJob) -> None:
    # Never the repository default, which an admin may have left at read-write.
    effective = job.effective
    assert effective is not None
    assert effective["contents"] == LEVELS["read"]
    writes = sorted(scope for scope, level in effective.items() if level == LEVELS["write"])
    assert writes == (["pull-requests"] if _comments(job) else [])
