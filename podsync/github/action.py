"""`podsync action plan` and `podsync action apply`: what the GitHub Action runs.

plan (on a pull request): make the plan (from the lock alone when there is no API key, as for a
fork), optionally generate the audio for review first (preview), then publish the plan as
Markdown in the job summary and in one sticky PR comment that carries the plan's checksum, and
write the step outputs.

apply (on a push to the default branch): find the pull request the push merged and the checksum
its comment approved, plan again, and apply only if the plan is still that one; then commit the
updated podsync.lock back to the branch.

Both only orchestrate: planning, guards, execution and rendering are podsync.workflow's and
podsync.render's, the same code `podsync plan` and `podsync apply` run. Nothing here prints:
every line for the log goes through `say`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from podsync.connection import API_KEY_ENV, API_URL_ENV, LOCAL, Endpoint, api_endpoint
from podsync.errors import PodsyncError
from podsync.executor import Outcome, PollPolicy
from podsync.git_base import load_base
from podsync.github.api import GitHubApi, GitHubError
from podsync.github.comment import compose, normalize_directory, post_sticky
from podsync.github.git_auth import GitAuth
from podsync.github.lock_commit import Pushed, commit_lock, commit_message
from podsync.github.lock_rescue import keep_lock
from podsync.github.review import Review, check_review, find_review
from podsync.github.runner import Runner, workflow_command
from podsync.github.tip import Start, start_at_tip
from podsync.lock import LOCK_NAME, read_lock
from podsync.model import Desired
from podsync.project_lock import hold_project
from podsync.render import render
from podsync.render.json import plan_checksum, plan_to_dict
from podsync.render.markdown import render_markdown
from podsync.saved_plan import change_labels, write_saved_plan
from podsync.workflow import (
    Inputs,
    Planned,
    audio_pages,
    check_safe,
    execute_at,
    load_inputs,
    make_offline_plan,
    outcome_report,
    plan_at,
    preview_at,
    prune_lock,
    reread_lock,
)

Say = Callable[[str], None]
CommentMode = Literal["auto", "true", "false"]

OFFLINE_WARNING = (
    f"{API_KEY_ENV} is not set (a pull request from a fork gets no secrets): this plan compares "
    "the manifests with podsync.lock only and did not read the live ZenMic account"
)


@dataclass(frozen=True)
class ActionOptions:
    """The action's inputs, as `podsync action` options."""

    working_directory: str = "."
    comment: CommentMode = "auto"
    allow_destroy: bool = False
    allow_mass_removal: bool = False
    commit_lock: bool = True
    preview: bool = False
    require_review: bool = True
    concurrency: int = 8
    lock_timeout: float = 0.0
    poll_interval: float = 2.0

    @property
    def project(self) -> Path:
        return Path(self.working_directory or ".")


@dataclass
class StepResult:
    """What the step did, for the exit code: `problems` failed it after it reported."""

    planned: Planned | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def has_api_key() -> bool:
    """Whether a live plan is possible: a key, or the embedded emulator (which needs none)."""
    return bool(os.environ.get(API_KEY_ENV, "").strip()) or (
        os.environ.get(API_URL_ENV, "").strip() == LOCAL
    )


def run_plan(options: ActionOptions, runner: Runner, say: Say) -> StepResult:
    """The pull-request step: plan, report it everywhere a reviewer looks, write outputs."""
    project = options.project
    inputs = load_inputs(project)
    pull = runner.pull_request
    result = StepResult()
    if not has_api_key():
        say(workflow_command("warning", OFFLINE_WARNING))
        if options.preview:
            say(workflow_command("warning", f"preview needs {API_KEY_ENV}; no audio generated"))
        planned = make_offline_plan(inputs)
    elif options.preview and pull is not None:
        planned = _plan_with_preview(options, runner, inputs, say, result)
    else:
        if options.preview:
            say(workflow_command("notice", "preview runs on pull requests only; skipped"))
        with api_endpoint(project) as endpoint:
            planned = _plan(inputs, endpoint, options)
    result.planned = planned
    say(render(planned.plan, "text"))
    base = load_base(project, pull.base_sha) if pull is not None and pull.base_sha else None
    markdown = _markdown(planned, base)
    runner.add_summary(markdown)
    _write_outputs(runner, planned, options)
    if _wants_comment(options.comment, runner, say) and pull is not None:
        body = compose(
            markdown,
            working_directory=options.working_directory,
            checksum=plan_checksum(planned.plan),
            labels=change_labels(plan_to_dict(planned.plan)),
        )
        _comment(runner, pull.number, body, planned, options, say, result)
    return result


def run_apply(options: ActionOptions, runner: Runner, say: Say) -> StepResult:
    """The push step: apply the merged pull request's reviewed plan, then commit the lock."""
    project = options.project
    result = StepResult()
    start = start_at_tip(project, runner, check_push=options.commit_lock)
    say(start.message)
    if start.superseded:
        _stand_down(runner, start)
        return result
    inputs = load_inputs(project)
    review = find_review(runner, options.working_directory)
    with hold_project(project, options.lock_timeout, on_wait=say):
        inputs = reread_lock(inputs)
        with api_endpoint(project) as endpoint:
            planned = _plan(inputs, endpoint, options)
            result.planned = planned
            say(render(planned.plan, "text"))
            markdown = _markdown(planned, None)
            _write_outputs(runner, planned, options)
            if not planned.plan.has_changes:
                prune_lock(planned)
                runner.add_summary(markdown)
                outcome = Outcome()
            else:
                _check_before_apply(review, planned, options, runner, markdown, say)
                try:
                    outcome = _apply(planned, endpoint, options, say)
                finally:  # whatever happened, the lock records what was done and paid for
                    if options.commit_lock:
                        _commit_lock(runner, options, say, result, start.auth)
                headline, details = outcome_report(outcome)
                runner.add_summary("\n".join([markdown, f"**{headline}**", "", *details, ""]))
                if not outcome.ok:
                    result.problems.append("the apply did not finish: see the table above")
                return result
    if options.commit_lock:  # a lock-only change (forgotten entries, protect:) goes back too
        _commit_lock(runner, options, say, result, start.auth)
    return result


def _stand_down(runner: Runner, start: Start) -> None:
    """A later push's run applies: say so where people look, with outputs that change nothing."""
    runner.add_summary(f"## podsync apply\n\n**Not applied: superseded.** {start.message}\n")
    runner.set_outputs(
        {
            "has-changes": "false",
            "has-deletes": "false",
            "audio-to-generate": "0",
            "plan-checksum": "",
            "plan-file": "",
        }
    )


def _apply(planned: Planned, endpoint: Endpoint, options: ActionOptions, say: Say) -> Outcome:
    """apply --auto-approve: the reviewer approved the plan when the pull request was merged."""
    outcome = Outcome()
    try:
        asyncio.run(
            execute_at(
                endpoint,
                planned,
                concurrency=options.concurrency,
                allow_destroy=options.allow_destroy,
                poll=PollPolicy(first=options.poll_interval),
                report=say,
                outcome=outcome,
            )
        )
    except KeyboardInterrupt:
        outcome.interrupted = True
    headline, details = outcome_report(outcome)
    say("")
    say(headline)
    for line in details:
        say(line)
    return outcome


def _check_before_apply(
    review: Review,
    planned: Planned,
    options: ActionOptions,
    runner: Runner,
    markdown: str,
    say: Say,
) -> None:
    """The reviewed checksum and the safety guards, before anything changes; a refusal is in
    the job summary too, beside the plan it refused."""
    try:
        say(check_review(review, planned.plan, require_review=options.require_review))
        check_safe(
            planned.plan,
            allow_destroy=options.allow_destroy,
            allow_mass_removal=options.allow_mass_removal,
        )
    except PodsyncError as exc:
        runner.add_summary(f"{markdown}\n**Not applied.**\n\n```\n{exc}\n```\n")
        raise


def _plan(inputs: Inputs, endpoint: Endpoint, options: ActionOptions) -> Planned:
    return asyncio.run(plan_at(endpoint, inputs, concurrency=options.concurrency))


def _plan_with_preview(
    options: ActionOptions, runner: Runner, inputs: Inputs, say: Say, result: StepResult
) -> Planned:
    """Generate the audio for review, record it on the PR branch, and plan again: the new plan
    reuses that audio, and so will the apply after the merge."""
    pull = runner.pull_request
    assert pull is not None
    project = options.project
    if pull.from_fork:
        say(
            workflow_command(
                "warning",
                "no preview for a pull request from a fork: its changes would be paid for "
                "before anyone reviewed them, and its branch cannot take the lock commit",
            )
        )
        with api_endpoint(project) as endpoint:
            return _plan(inputs, endpoint, options)
    with hold_project(project, options.lock_timeout, command="preview", on_wait=say):
        inputs = reread_lock(inputs)
        with api_endpoint(project) as endpoint:
            planned = _plan(inputs, endpoint, options)
            if not planned.plan.needs_jobs:
                return planned
            outcome = Outcome()
            asyncio.run(
                preview_at(
                    endpoint,
                    planned,
                    concurrency=options.concurrency,
                    poll=PollPolicy(first=options.poll_interval),
                    report=say,
                    outcome=outcome,
                )
            )
            headline, details = outcome_report(outcome, "Preview", "podsync apply --preview")
            for line in [headline, *details]:
                say(line)
            if not outcome.ok:
                result.problems.append("the preview did not finish: see the table above")
            if not options.commit_lock:
                say(
                    workflow_command(
                        "warning",
                        "preview with commit-lock false: the audio jobs are not recorded on the "
                        "branch, so the apply after the merge will generate (and pay for) them "
                        "again",
                    )
                )
                return planned
            _push_lock(
                runner, options, say, result, branch=pull.head_ref, start=None, why="preview"
            )
            return _plan(reread_lock(inputs), endpoint, options)


def _markdown(planned: Planned, base: Desired | None) -> str:
    pages = audio_pages(planned.plan, read_lock(planned.inputs.lock_path))
    return render_markdown(planned.plan, base=base, audio_pages=pages)


def _write_outputs(runner: Runner, planned: Planned, options: ActionOptions) -> None:
    plan = planned.plan
    plan_file = _plan_file(runner, options)
    write_saved_plan(plan_file, planned, options.project, {"no_delete": False})
    runner.set_outputs(
        {
            "has-changes": _flag(plan.has_changes),
            "has-deletes": _flag(plan.has_deletes),
            "audio-to-generate": str(sum(1 for job in plan.audio if job.action == "generate")),
            "plan-checksum": plan_checksum(plan),
            "plan-file": str(plan_file),
        }
    )


def _plan_file(runner: Runner, options: ActionOptions) -> Path:
    """One file per project folder, so two podsync steps in one job do not overwrite each
    other's plan."""
    directory = normalize_directory(options.working_directory)
    suffix = "" if directory == "." else "-" + hashlib.sha256(directory.encode()).hexdigest()[:8]
    runner.temp_dir.mkdir(parents=True, exist_ok=True)
    return runner.temp_dir / f"podsync-plan{suffix}.json"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _wants_comment(mode: CommentMode, runner: Runner, say: Say) -> bool:
    if mode == "false":
        return False
    if runner.pull_request is None:
        if mode == "true":
            say(
                workflow_command(
                    "notice",
                    f"comment: true, but a {runner.event_name or 'non'} event has no pull "
                    "request to comment on; the plan is in the job summary",
                )
            )
        return False
    if not runner.token:
        say(
            workflow_command(
                "warning",
                "GITHUB_TOKEN is not set, so the plan was not posted as a comment (pass the "
                "github-token input); it is in the job summary",
            )
        )
        return False
    return True


def _comment(
    runner: Runner,
    number: int,
    body: str,
    planned: Planned,
    options: ActionOptions,
    say: Say,
    result: StepResult,
) -> None:
    """Post or update the sticky comment. A 403 is the read-only token of a fork's pull request
    (or a workflow without `pull-requests: write`): warn, the job summary has the plan."""
    try:
        with GitHubApi(runner.token, api_url=runner.api_url) as api:
            posted = post_sticky(
                api,
                runner.repository,
                number,
                body,
                working_directory=options.working_directory,
                has_changes=planned.plan.has_changes,
            )
    except GitHubError as exc:
        if exc.status == 403:
            say(
                workflow_command(
                    "warning",
                    f"could not post the plan comment ({exc}). A pull request from a fork gets "
                    "a read-only token; otherwise give the workflow `permissions: "
                    "pull-requests: write`. The plan is in the job summary.",
                )
            )
            return
        result.problems.append(f"could not post the plan comment: {exc}")
        return
    if posted.comment is None:
        say("No changes and no earlier plan comment: nothing posted.")
    else:
        say(f"Plan comment {posted.action}: {posted.comment.url or posted.comment.id}")


def _commit_lock(
    runner: Runner, options: ActionOptions, say: Say, result: StepResult, auth: GitAuth
) -> None:
    """After an apply: the lock goes back to the branch that was pushed. When it cannot, the
    records of what was just created and paid for must not live only in this runner's
    workspace: the whole lock goes to the job summary and to a file (output lock-file)."""
    branch = runner.branch or runner.default_branch
    lock_path = options.project / LOCK_NAME
    try:
        if not branch:
            raise PodsyncError(
                f"cannot commit podsync.lock: {runner.ref or 'this run'} is not a branch"
            )
        pushed = commit_lock(
            lock_path,
            branch=branch,
            start="HEAD",
            message=commit_message(options.working_directory, "apply"),
            auth=auth,
        )
    except PodsyncError as exc:
        result.problems.append(str(exc))
        if lock_path.is_file():
            keep_lock(runner, lock_path, options.working_directory, branch or "main", say)
        return
    if pushed is None:
        say(f"podsync.lock on {branch} is up to date; nothing to commit.")
    else:
        again = f" after {pushed.attempts - 1} rebase(s)" if pushed.attempts > 1 else ""
        say(f"Committed podsync.lock to {branch} ({pushed.commit[:12]}){again}.")


def _push_lock(
    runner: Runner,
    options: ActionOptions,
    say: Say,
    result: StepResult,
    *,
    branch: str,
    start: str | None,
    why: str,
) -> Pushed | None:
    lock_path = options.project / "podsync.lock"
    try:
        pushed = commit_lock(
            lock_path,
            branch=branch,
            start=start,
            message=commit_message(options.working_directory, why),
        )
    except PodsyncError as exc:
        result.problems.append(str(exc))
        return None
    if pushed is None:
        say(f"podsync.lock on {branch} is up to date; nothing to commit.")
    else:
        again = f" after {pushed.attempts - 1} rebase(s)" if pushed.attempts > 1 else ""
        say(f"Committed podsync.lock to {branch} ({pushed.commit[:12]}){again}.")
    return pushed
