"""What the action does to podsync.lock around a plan or an apply: the warnings for a pull
request's edits to it, the audio set there by hand (checked, then put back), the approval
applied, and the commit back to the branch; split from action.py, which only calls it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from podsync.errors import GitError, PodsyncError
from podsync.git_history import commit_time, lock_at, merge_base, parents
from podsync.github.git_auth import GitAuth
from podsync.github.lock_rescue import keep_lock
from podsync.github.lock_review import (
    edit_warnings,
    hand_added_audio,
    lock_edits,
    undo_hand_audio,
    unvouched,
    unvouched_jobs,
)
from podsync.github.review import Review
from podsync.github.runner import Runner, workflow_command
from podsync.github.state_commit import commit_lock, commit_message
from podsync.github.step import ActionOptions, Say, StepResult
from podsync.lock import LOCK_NAME, AppliedApproval, Lock, LockStore, read_lock
from podsync.operations import Applied, Planned
from podsync.plan import Warning, WarningCode


def record_approval(
    review: Review, planned: Planned, runner: Runner, applied: Applied, say: Say
) -> None:
    """Once an approval changed something, the lock (committed next) says so: it is not
    applied again (review.unspent)."""
    pull, approved = review.pull, review.approved
    if pull is None or approved is None or not applied.outcome.done:
        return
    store = LockStore(planned.inputs.lock_path, read_lock(planned.inputs.lock_path))
    record = AppliedApproval(approved.checksum, runner.sha)
    try:
        store.save(store.lock.with_applied(pull.number, record))
    except PodsyncError as exc:
        say(workflow_command("warning", f"could not record the applied approval: {exc}"))


def with_lock_edits(planned: Planned, project: Path, base_sha: str, head_sha: str) -> Planned:
    """The plan with a warning for each change the pull request makes to podsync.lock, and for
    each job set by hand there that apply would refuse to reuse (see lock_review)."""
    head = lock_at(project, "HEAD")  # on GitHub, the pull request merged into base_sha
    since_base = merge_base(project, base_sha, "HEAD") if base_sha else None
    base = lock_at(project, since_base) if since_base else None
    if head is None or base is None:
        notes = [Warning(WarningCode.LOCK_NOT_COMPARED)]
    else:
        branched = merge_base(project, base_sha, head_sha) if head_sha else None
        since = commit_time(project, branched) if branched else None
        added = hand_added_audio(base, head)
        refused = unvouched_jobs(planned.plan, planned.live, added, base, since)
        notes = edit_warnings(lock_edits(base, head), planned.plan) + [
            u.warning()
            for u in (refused if planned.plan.live_read else [])  # apply asks, offline
        ]
    if not notes:
        return planned
    warnings = (*notes, *planned.plan.warnings)
    return replace(planned, plan=replace(planned.plan, warnings=warnings))


def unvouched_audio(planned: Planned, project: Path, runner: Runner) -> list[str]:
    """The reused jobs the merged pull request set in podsync.lock by hand that the account
    does not vouch for. The pull request's edits are the merge commit's lock against the lock
    before the push; when that cannot be read, every reused job of the lock is checked."""
    before = str(runner.event.get("before") or "")
    base = lock_at(project, before)
    head = lock_at(project, runner.sha)
    since = None
    if base is None or head is None:
        base, head = Lock(), read_lock(planned.inputs.lock_path)
    else:
        merged = parents(project, runner.sha) or ()
        branched = merge_base(project, merged[0], merged[1]) if len(merged) == 2 else None
        since = commit_time(project, branched) if branched else None
    return unvouched(planned.plan, planned.live, hand_added_audio(base, head), base, since)


def used_digests(planned: Planned) -> frozenset[str]:
    return frozenset(job.digest for job in planned.plan.audio)


def put_back_hand_audio(
    planned: Planned, project: Path, runner: Runner, say: Say, keep: frozenset[str] = frozenset()
) -> bool:
    """Put back the audio entries the merged pull request set by hand, but those in `keep`
    (see lock_review.undo_hand_audio); whether the lock changed (to be committed)."""
    base = lock_at(project, str(runner.event.get("before") or ""))
    head = lock_at(project, runner.sha)
    if base is None or head is None:
        return False
    path = planned.inputs.lock_path
    store = LockStore(path, read_lock(path))
    undone = undo_hand_audio(store.lock, base, head, keep)
    if undone == store.lock:
        return False
    store.save(undone)
    say(
        "podsync.lock goes back without the audio entries the pull request set by hand that "
        "this apply did not reuse, so that no later plan reuses them unchecked."
    )
    return True


def commit_lock_back(
    runner: Runner, options: ActionOptions, say: Say, result: StepResult, auth: GitAuth
) -> None:
    """After an apply: the lock goes back to the branch that was pushed. When it cannot, the
    records of what was just created and paid for must not live only in this runner's
    workspace: the whole lock goes to the job summary and to a file (output lock-file)."""
    branch = runner.branch or runner.default_branch
    lock_path = options.project / LOCK_NAME
    try:
        if not branch:
            raise GitError(
                f"cannot commit podsync.lock: {runner.ref or 'this run'} is not a branch"
            )
        pushed = commit_lock(
            lock_path,
            branch=branch,
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
