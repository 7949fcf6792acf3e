"""The preview on a pull request and the audio it paid for, seeded into the plan on the pull
request and again at the apply after the merge; split from action.py, which only calls it."""

from __future__ import annotations

from dataclasses import replace

from podsync import operations
from podsync.executor import Outcome
from podsync.github import preview
from podsync.github.comment_step import earlier_preview
from podsync.github.review import Review
from podsync.github.runner import Runner, workflow_command
from podsync.github.step import ActionOptions, Previewed, Say, StepResult, operation_settings
from podsync.lock import Lock
from podsync.operations import Hooks, Inputs, Planned, outcome_report
from podsync.plan import counted
from podsync.render.progress import plain_progress


def with_previewed_audio(inputs: Inputs, review: Review, say: Say) -> Inputs:
    """The lock with the audio jobs the merged pull request's previews paid for, as its
    approved comment carries them: the plan reuses them (and so is the plan reviewed after a
    preview), and the lock this apply commits records them."""
    jobs = review.approved.previewed if review.approved is not None else {}
    seeded = preview.seed(inputs.lock, jobs)
    if seeded == inputs.lock:
        return inputs
    added = seeded_count(inputs.lock, seeded)
    say(f"Reusing {counted(added, 'audio job')} generated for review in {review.where}.")
    return replace(inputs, lock=seeded)


def seeded_count(before: Lock, after: Lock) -> int:
    return sum(1 for digest, audio in after.audio.items() if before.audio.get(digest) != audio)


def plan_with_preview(
    options: ActionOptions, runner: Runner, inputs: Inputs, say: Say, result: StepResult
) -> tuple[Planned, Previewed]:
    """Generate the audio for review and plan again: the plan shown then reuses that audio,
    and so will the apply after the merge, which finds the jobs in the comment. Nothing is
    committed: the lock on the runner is thrown away with it."""
    pull = runner.pull_request
    assert pull is not None
    project = options.project
    if pull.from_fork:
        say(
            workflow_command(
                "warning",
                "no preview for a pull request from a fork: its changes would be paid for "
                "before anyone reviewed them",
            )
        )
        return operations.plan(project, inputs, concurrency=options.concurrency), {}
    earlier = earlier_preview(runner, options, say)
    committed = inputs.lock

    def seed(inputs: Inputs) -> Inputs:
        nonlocal committed
        committed = inputs.lock
        seeded = preview.seed(committed, earlier)
        if seeded != committed:
            added = seeded_count(committed, seeded)
            say(f"Reusing {counted(added, 'audio job')} from earlier previews.")
        return replace(inputs, lock=seeded)

    progress = plain_progress(say)
    hooks = Hooks(
        on_wait=say,
        report=progress.report,
        seed=seed,
        approve=lambda p: p.plan.needs_jobs,
        progress=progress,
    )
    previewed = operations.preview(
        project, inputs, operation_settings(options), hooks, holder="preview"
    )
    planned = previewed.planned
    if previewed.ran:
        say_preview(previewed.outcome, say, result)
    # the preview wrote the seeded lock plus the jobs it recorded; without one, the seeded
    # lock is all there is
    jobs = preview.carried(planned.plan, committed, previewed.lock)
    _, kept = preview.encode(jobs, preview.earlier(earlier, jobs, committed))
    if missing := len(set(jobs) - set(kept)):
        say(
            workflow_command(
                "warning",
                f"{counted(missing, 'previewed audio job')} did not fit in "
                "the plan comment: the apply after the merge generates that audio again",
            )
        )
    final = replace(planned.inputs, lock=preview.seed(committed, kept))
    if final.lock == planned.inputs.lock and not planned.plan.needs_jobs:
        return planned, kept
    return operations.plan(project, final, concurrency=options.concurrency), kept


def say_preview(outcome: Outcome, say: Say, result: StepResult) -> None:
    headline, details = outcome_report(outcome, "Preview", "podsync apply --preview")
    for line in [headline, *details]:
        say(line)
    if not outcome.ok:
        result.problems.append("the preview did not finish: see the table above")
