"""`podsync action plan` and `podsync action apply`: what the GitHub Action runs.

plan (on a pull request): make the plan (from the lock alone when there is no API key, as for a
fork), optionally generate the audio for review first (preview, which commits nothing: the jobs
travel in the comment, see podsync.github.preview), then publish the plan as Markdown in the
job summary and in one sticky PR comment that carries the plan's checksum, and write the step
outputs. A plan that fails replaces the comment with what went wrong.

apply (on a push to the default branch): stand down for any other ref and refuse a push that
rewrote the branch (podsync.github.push_gate); find the pull request the push merged and the
checksum its comment approved, as the bot last wrote it and not yet applied (the lock records
each approval applied), plan again (reusing the audio its previews paid for), and apply only if
the plan is still that one; then commit the updated podsync.lock back to the branch.

Both only add GitHub's steps: the plan/apply/preview sequence, guards and execution are
podsync.operations', the rendering podsync.render's, the same code `podsync plan` and
`podsync apply` run; the parts of each step are beside this module (step: options and result,
comment_step: the sticky comment, preview_step: the preview, lock_step: podsync.lock,
step_report: summary and outputs), so this one reads as the sequence. Nothing here prints:
every line for the log goes through `say`.
"""

from __future__ import annotations

import contextlib
import dataclasses

from podsync import operations
from podsync.endpoint import API_KEY_ENV
from podsync.errors import PodsyncError, RewrittenHistory, UnverifiedAudio
from podsync.git_history import load_base
from podsync.github.branch_tip import start_at_tip
from podsync.github.comment import compose, failure_markdown
from podsync.github.comment_step import (
    FORK_CANNOT_COMMENT,
    comment_failure,
    post_comment,
    problems,
    wants_comment,
)
from podsync.github.lock_review import UNVOUCHED_ADVICE
from podsync.github.lock_step import (
    commit_lock_back,
    put_back_hand_audio,
    record_approval,
    unvouched_audio,
    used_digests,
    with_lock_edits,
)
from podsync.github.pin_scripts import Pinning, pin_scripts, pinned_files
from podsync.github.preview_step import plan_with_preview, with_previewed_audio
from podsync.github.push_gate import check_push
from podsync.github.review import check_review, find_review, review_checksum, unspent
from podsync.github.runner import Runner, workflow_command
from podsync.github.step import (
    ActionOptions,
    CommentMode,
    Previewed,
    Say,
    StepResult,
    has_api_key,
    operation_settings,
)
from podsync.github.step_report import (
    SUMMARY_CHARS,
    plan_markdown,
    say_outcome,
    stand_down,
    write_outputs,
)
from podsync.github.verify_step import verify_after_apply
from podsync.operations import Applied, Hooks, Inputs, Planned, load_inputs, outcome_report
from podsync.plan import WarningCode
from podsync.plan_file import plan_to_dict
from podsync.render import render
from podsync.render.listen import listen_markdown
from podsync.render.progress import plain_progress
from podsync.render.script_pinning import pinning_markdown
from podsync.saved_plan import change_labels

# Importable from here as before the step's parts moved into their own modules.
__all__ = [
    "FORK_CANNOT_COMMENT",
    "OFFLINE_WARNING",
    "SUMMARY_CHARS",
    "ActionOptions",
    "CommentMode",
    "Previewed",
    "Say",
    "StepResult",
    "has_api_key",
    "run_apply",
    "run_plan",
]

OFFLINE_WARNING = (
    f"{API_KEY_ENV} is not set (a pull request from a fork gets no secrets): this plan compares "
    "the manifests with podsync.lock only and did not read the live ZenMic account"
)


def run_plan(options: ActionOptions, runner: Runner, say: Say) -> StepResult:
    """The pull-request step: plan, report it everywhere a reviewer looks, write outputs. A
    plan that fails (a broken manifest, the API down) also replaces the plan comment with what
    went wrong, so the pull request never shows a plan that is not its head's."""
    pull = runner.pull_request
    result = StepResult()
    commenting = wants_comment(options.comment, runner, say) and pull is not None
    try:
        pinning = _pin_scripts(options, runner, say, result)
        head_sha = (pinning.commit if pinning and pinning.commit else None) or (
            pull.head_sha if pull else ""
        )
        planned, previewed = _plan_pull_request(options, runner, say, result)
        if pull is not None:
            planned = with_lock_edits(planned, options.project, pull.base_sha, pull.head_sha)
        say(render(planned.plan, "text"))
        project = options.project
        base = load_base(project, pull.base_sha) if pull is not None and pull.base_sha else None
        if base is not None:  # the summary, the comment and the JSON outputs: fields as at base
            from podsync.field_diff import with_base  # deepdiff: only when there is a base

            planned = dataclasses.replace(planned, plan=with_base(planned.plan, base))
        checksum = review_checksum(planned.plan, previewed)
        pinned = pinning_markdown(pinning)
        scripts = pinned_files(planned.inputs.desired) if pinning is not None else {}
        summary = pinned + plan_markdown(planned, base, checksum=checksum, scripts=scripts)
        runner.add_summary(summary)
        write_outputs(runner, planned, options, checksum)
    except PodsyncError as exc:
        with contextlib.suppress(PodsyncError):  # the summary may be what failed
            runner.add_summary(failure_markdown(pull.head_sha if pull else "", problems(exc)))
        if commenting:
            comment_failure(runner, options, exc, say)
        raise
    if commenting and pull is not None:
        body = compose(
            lambda room: (
                summary
                if len(summary) <= room
                else pinned
                + plan_markdown(
                    planned, base, room - len(pinned), checksum=checksum, scripts=scripts
                )
            ),
            working_directory=options.working_directory,
            checksum=checksum,
            labels=change_labels(plan_to_dict(planned.plan)),
            head_sha=head_sha,
            previewed=previewed,
        )
        # a pull request that only edits the lock changes what later applies do: it is shown too
        edits = any(w.code is WarningCode.LOCK_EDITED for w in planned.plan.warnings)
        changed = planned.plan.has_changes or edits or bool(pinned)
        post_comment(runner, pull.number, body, changed, options, say, result, head_sha)
    return result


def _pin_scripts(
    options: ActionOptions, runner: Runner, say: Say, result: StepResult
) -> Pinning | None:
    """pin-scripts: write and commit the scripts of the pull request's new and changed
    episodes before planning, so the plan shown is made from them (podsync.github.pin_scripts)."""
    pull = runner.pull_request
    if not options.pin_scripts:
        return None
    if pull is None:
        say(workflow_command("notice", "pin-scripts runs on pull requests only; skipped"))
        return None
    pinning = pin_scripts(options.project, runner, pull, has_key=has_api_key(), say=say)
    if pinning.skipped:
        say(workflow_command("warning", f"scripts not pinned: {pinning.skipped}"))
    if pinning.failed:  # annotated as an error when the step ends
        result.problems.append(f"a script request failed: {pinning.failed}")
    return pinning


def _plan_pull_request(
    options: ActionOptions, runner: Runner, say: Say, result: StepResult
) -> tuple[Planned, Previewed]:
    """The plan, and the audio jobs previews paid for that the comment must carry."""
    project = options.project
    inputs = load_inputs(project)
    pull = runner.pull_request
    if not has_api_key():
        say(workflow_command("warning", OFFLINE_WARNING))
        if options.preview:
            say(workflow_command("warning", f"preview needs {API_KEY_ENV}; no audio generated"))
        return operations.plan_offline(inputs), {}
    if options.preview and pull is not None:
        return plan_with_preview(options, runner, inputs, say, result)
    if options.preview:
        say(workflow_command("notice", "preview runs on pull requests only; skipped"))
    return operations.plan(project, inputs, concurrency=options.concurrency), {}


def run_apply(options: ActionOptions, runner: Runner, say: Say) -> StepResult:
    """The push step: apply the merged pull request's reviewed plan, then commit the lock."""
    project = options.project
    result = StepResult()
    try:
        gate = check_push(runner, project)
    except RewrittenHistory as exc:
        stand_down(runner, "Not applied: history rewritten.", str(exc))
        raise
    if gate is not None:
        say(workflow_command("warning", f"podsync apply stood down: {gate.message}"))
        stand_down(runner, f"Not applied: {gate.headline}.", gate.message)
        return result
    start = start_at_tip(project, runner, check_push=options.commit_lock)
    say(start.message)
    if start.superseded:
        say(workflow_command("warning", f"podsync apply stood down: {start.message}"))
        stand_down(runner, "Not applied: superseded.", start.message)
        return result
    inputs = load_inputs(project)
    review = find_review(runner, options.working_directory, options.comment_author)
    markdown = ""

    def seed(inputs: Inputs) -> Inputs:
        nonlocal review
        review = unspent(review, inputs.lock)
        return with_previewed_audio(inputs, review, say)

    def shown(planned: Planned) -> None:
        nonlocal markdown
        say(render(planned.plan, "text"))
        checksum = review_checksum(
            planned.plan, review.approved.previewed if review.approved else {}
        )
        markdown = plan_markdown(planned, None, checksum=checksum)
        write_outputs(runner, planned, options, checksum)
        if not planned.plan.has_changes:
            runner.add_summary(markdown)

    def check(planned: Planned) -> None:
        """The reviewed checksum and the audio set by hand in the lock, before the guards."""
        unvouched = unvouched_audio(planned, project, runner)
        say(check_review(review, planned.plan, require_review=options.require_review))
        if unvouched:
            raise UnverifiedAudio(
                "not applying: "
                + "\n".join(unvouched)
                + f"\nNothing was applied. {UNVOUCHED_ADVICE}"
            )

    def refused(planned: Planned, exc: PodsyncError) -> None:
        """A refusal is in the job summary too, beside the plan it refused; the audio the pull
        request set by hand goes back out of the lock, so no later plan reuses it unchecked."""
        runner.add_summary(f"{markdown}\n**Not applied.**\n\n```\n{exc}\n```\n")
        if options.commit_lock and put_back_hand_audio(planned, project, runner, say):
            commit_lock_back(runner, options, say, result, start.auth)

    def after_apply(planned: Planned, applied: Applied | None) -> None:
        try:
            if applied is not None:
                say_outcome(applied, say)
                record_approval(review, planned, runner, applied, say)
        finally:  # whatever happened, the lock records what was done and paid for
            put_back_hand_audio(planned, project, runner, say, used_digests(planned))
            if options.commit_lock:
                commit_lock_back(runner, options, say, result, start.auth)

    progress = plain_progress(say)  # a runner's log has no terminal: a line every 30 s
    hooks = Hooks(
        on_wait=say,
        report=progress.report,
        seed=seed,
        shown=shown,
        check=check,
        refused=refused,
        applied=after_apply,
        progress=progress,
    )
    ended = operations.apply(project, inputs, operation_settings(options), hooks)
    if ended.applied is not None:  # apply --auto-approve: approved when the pull request merged
        headline, details = outcome_report(ended.applied.outcome)
        stopped = [f"```\n{ended.applied.stopped_by}\n```", ""] if ended.applied.stopped_by else []
        heard = listen_markdown(ended.listen)
        runner.add_summary(
            "\n".join([markdown, *heard, f"**{headline}**", "", *details, "", *stopped])
        )
        ended.applied.raise_if_stopped()
        if not ended.applied.outcome.ok:
            result.problems.append("the apply did not finish: see the table above")
        else:
            result.problems += verify_after_apply(
                project, options.verify, options.concurrency, say, runner.add_summary
            )
        return result
    if not ended.planned.plan.has_changes:
        put_back_hand_audio(ended.planned, project, runner, say, used_digests(ended.planned))
    if options.commit_lock:  # a lock-only change (forgotten entries, protect:) goes back too
        commit_lock_back(runner, options, say, result, start.auth)
    return result
