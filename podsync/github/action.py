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
`podsync apply` run. Nothing here prints:
every line for the log goes through `say`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from podsync import operations
from podsync.endpoint import API_KEY_ENV, local_mode
from podsync.errors import (
    EditedByOther,
    GitError,
    GitHubError,
    ManifestError,
    PodsyncError,
    RewrittenHistory,
    UnverifiedAudio,
)
from podsync.executor import Outcome
from podsync.git_history import commit_time, load_base, lock_at, merge_base, parents
from podsync.github import preview
from podsync.github.api import Comment, GitHubApi
from podsync.github.branch_tip import start_at_tip
from podsync.github.comment import (
    DEFAULT_AUTHOR,
    Posted,
    compose,
    compose_failure,
    failure_markdown,
    find_sticky,
    normalize_directory,
    post_sticky,
    previewed_in,
    verified_body,
)
from podsync.github.git_auth import GitAuth
from podsync.github.lock_rescue import keep_lock
from podsync.github.lock_review import (
    UNVOUCHED_ADVICE,
    edit_warnings,
    hand_added_audio,
    lock_edits,
    undo_hand_audio,
    unvouched,
    unvouched_jobs,
)
from podsync.github.pin_scripts import Pinning, pin_scripts, pinned_files
from podsync.github.push_gate import check_push
from podsync.github.review import Review, check_review, find_review, review_checksum, unspent
from podsync.github.runner import Runner, workflow_command
from podsync.github.state_commit import commit_lock, commit_message
from podsync.github.verify_step import verify_after_apply
from podsync.lock import LOCK_NAME, AppliedApproval, CachedAudio, Lock, LockStore, read_lock
from podsync.model import Desired
from podsync.operations import (
    Applied,
    Hooks,
    Inputs,
    Planned,
    Settings,
    audio_pages,
    load_inputs,
    outcome_report,
)
from podsync.plan import Warning, WarningCode, counted
from podsync.plan_file import plan_to_dict
from podsync.render import render
from podsync.render.listen import listen_markdown
from podsync.render.markdown import SUMMARY_LIMIT, render_markdown
from podsync.render.progress import plain_progress
from podsync.render.script_pinning import pinning_markdown
from podsync.saved_plan import change_labels, write_saved_plan

Say = Callable[[str], None]
CommentMode = Literal["auto", "true", "false"]
Previewed = Mapping[str, CachedAudio]
# The job summary gets the whole plan in practice: GitHub allows a step 1 MiB of summary, and
# a plan is cut only past this many characters (and to a quarter of the limit should its
# characters take more than a byte each, keeping room for the apply's table after it).
SUMMARY_CHARS = 900_000

OFFLINE_WARNING = (
    f"{API_KEY_ENV} is not set (a pull request from a fork gets no secrets): this plan compares "
    "the manifests with podsync.lock only and did not read the live ZenMic account"
)
FORK_CANNOT_COMMENT = (
    "A pull request from a fork gets a read-only token, so its plan cannot be approved here: "
    "after the merge, the apply refuses to publish until the changes come through a pull "
    "request from a branch of this repository."
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
    pin_scripts: bool = False
    require_review: bool = True
    comment_author: str = DEFAULT_AUTHOR
    concurrency: int = 8
    lock_timeout: float = 0.0
    poll_interval: float = 2.0
    verify: str = "true"  # after apply: podsync.github.verify_step.VERIFY_MODES

    @property
    def project(self) -> Path:
        return Path(self.working_directory or ".")


@dataclass
class StepResult:
    """What the step did, for the exit code: `problems` failed it after it reported."""

    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def has_api_key() -> bool:
    """Whether a live plan is possible: a key, or the embedded emulator (which needs none)."""
    return bool(os.environ.get(API_KEY_ENV, "").strip()) or local_mode()


def run_plan(options: ActionOptions, runner: Runner, say: Say) -> StepResult:
    """The pull-request step: plan, report it everywhere a reviewer looks, write outputs. A
    plan that fails (a broken manifest, the API down) also replaces the plan comment with what
    went wrong, so the pull request never shows a plan that is not its head's."""
    pull = runner.pull_request
    result = StepResult()
    commenting = _wants_comment(options.comment, runner, say) and pull is not None
    try:
        pinning = _pin_scripts(options, runner, say, result)
        head_sha = (pinning.commit if pinning and pinning.commit else None) or (
            pull.head_sha if pull else ""
        )
        planned, previewed = _plan_pull_request(options, runner, say, result)
        if pull is not None:
            planned = _with_lock_edits(planned, options.project, pull.base_sha, pull.head_sha)
        say(render(planned.plan, "text"))
        project = options.project
        base = load_base(project, pull.base_sha) if pull is not None and pull.base_sha else None
        checksum = review_checksum(planned.plan, previewed)
        pinned = pinning_markdown(pinning)
        scripts = pinned_files(options.project) if pinning is not None else {}
        summary = pinned + _markdown(planned, base, checksum=checksum, scripts=scripts)
        runner.add_summary(summary)
        _write_outputs(runner, planned, options, checksum)
    except PodsyncError as exc:
        with contextlib.suppress(PodsyncError):  # the summary may be what failed
            runner.add_summary(failure_markdown(pull.head_sha if pull else "", _problems(exc)))
        if commenting:
            _comment_failure(runner, options, exc, say)
        raise
    if commenting and pull is not None:
        body = compose(
            lambda room: (
                summary
                if len(summary) <= room
                else pinned
                + _markdown(planned, base, room - len(pinned), checksum=checksum, scripts=scripts)
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
        _comment(runner, pull.number, body, changed, options, say, result, head_sha)
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
        return _plan_with_preview(options, runner, inputs, say, result)
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
        _stand_down(runner, "Not applied: history rewritten.", str(exc))
        raise
    if gate is not None:
        say(workflow_command("warning", f"podsync apply stood down: {gate.message}"))
        _stand_down(runner, f"Not applied: {gate.headline}.", gate.message)
        return result
    start = start_at_tip(project, runner, check_push=options.commit_lock)
    say(start.message)
    if start.superseded:
        say(workflow_command("warning", f"podsync apply stood down: {start.message}"))
        _stand_down(runner, "Not applied: superseded.", start.message)
        return result
    inputs = load_inputs(project)
    review = find_review(runner, options.working_directory, options.comment_author)
    markdown = ""

    def seed(inputs: Inputs) -> Inputs:
        nonlocal review
        review = unspent(review, inputs.lock)
        return _with_previewed_audio(inputs, review, say)

    def shown(planned: Planned) -> None:
        nonlocal markdown
        say(render(planned.plan, "text"))
        checksum = review_checksum(
            planned.plan, review.approved.previewed if review.approved else {}
        )
        markdown = _markdown(planned, None, checksum=checksum)
        _write_outputs(runner, planned, options, checksum)
        if not planned.plan.has_changes:
            runner.add_summary(markdown)

    def check(planned: Planned) -> None:
        """The reviewed checksum and the audio set by hand in the lock, before the guards."""
        unvouched = _unvouched_audio(planned, project, runner)
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
        if options.commit_lock and _undo_hand_audio(planned, project, runner, say):
            _commit_lock(runner, options, say, result, start.auth)

    def after_apply(planned: Planned, applied: Applied | None) -> None:
        try:
            if applied is not None:
                _say_outcome(applied, say)
                _record_approval(review, planned, runner, applied, say)
        finally:  # whatever happened, the lock records what was done and paid for
            _undo_hand_audio(planned, project, runner, say, _used(planned))
            if options.commit_lock:
                _commit_lock(runner, options, say, result, start.auth)

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
    ended = operations.apply(project, inputs, _settings(options), hooks)
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
        _undo_hand_audio(ended.planned, project, runner, say, _used(ended.planned))
    if options.commit_lock:  # a lock-only change (forgotten entries, protect:) goes back too
        _commit_lock(runner, options, say, result, start.auth)
    return result


def _settings(options: ActionOptions) -> Settings:
    return Settings(
        concurrency=options.concurrency,
        lock_timeout=options.lock_timeout,
        poll_interval=options.poll_interval,
        allow_destroy=options.allow_destroy,
        allow_mass_removal=options.allow_mass_removal,
    )


def _stand_down(runner: Runner, headline: str, message: str) -> None:
    """Nothing is applied (a later push's run applies, or this push is not one to apply): say
    so where people look, with outputs that change nothing."""
    runner.add_summary(f"## podsync apply\n\n**{headline}** {message}\n")
    runner.set_outputs(
        {
            "has-changes": "false",
            "has-deletes": "false",
            "audio-to-generate": "0",
            "plan-checksum": "",
            "plan-file": "",
        }
    )


def _with_previewed_audio(inputs: Inputs, review: Review, say: Say) -> Inputs:
    """The lock with the audio jobs the merged pull request's previews paid for, as its
    approved comment carries them: the plan reuses them (and so is the plan reviewed after a
    preview), and the lock this apply commits records them."""
    jobs = review.approved.previewed if review.approved is not None else {}
    seeded = preview.seed(inputs.lock, jobs)
    if seeded == inputs.lock:
        return inputs
    added = _seeded_count(inputs.lock, seeded)
    say(f"Reusing {counted(added, 'audio job')} generated for review in {review.where}.")
    return replace(inputs, lock=seeded)


def _record_approval(
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


def _seeded_count(before: Lock, after: Lock) -> int:
    return sum(1 for digest, audio in after.audio.items() if before.audio.get(digest) != audio)


def _say_outcome(applied: Applied, say: Say) -> None:
    headline, details = outcome_report(applied.outcome)
    say("")
    say(headline)
    for line in details:
        say(line)


def _with_lock_edits(planned: Planned, project: Path, base_sha: str, head_sha: str) -> Planned:
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


def _unvouched_audio(planned: Planned, project: Path, runner: Runner) -> list[str]:
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


def _used(planned: Planned) -> frozenset[str]:
    return frozenset(job.digest for job in planned.plan.audio)


def _undo_hand_audio(
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


def _plan_with_preview(
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
    earlier = _earlier_preview(runner, options, say)
    committed = inputs.lock

    def seed(inputs: Inputs) -> Inputs:
        nonlocal committed
        committed = inputs.lock
        seeded = preview.seed(committed, earlier)
        if seeded != committed:
            added = _seeded_count(committed, seeded)
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
    previewed = operations.preview(project, inputs, _settings(options), hooks, holder="preview")
    planned = previewed.planned
    if previewed.ran:
        _say_preview(previewed.outcome, say, result)
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


def _say_preview(outcome: Outcome, say: Say, result: StepResult) -> None:
    headline, details = outcome_report(outcome, "Preview", "podsync apply --preview")
    for line in [headline, *details]:
        say(line)
    if not outcome.ok:
        result.problems.append("the preview did not finish: see the table above")


def _earlier_preview(runner: Runner, options: ActionOptions, say: Say) -> Previewed:
    """The audio jobs the action's plan comment says earlier previews of this pull request
    paid for (none when it cannot be read: that audio is then generated again)."""
    pull = runner.pull_request
    if pull is None or not runner.token:
        return {}
    try:
        with GitHubApi(runner.token, api_url=runner.api_url) as api:
            comments = api.list_issue_comments(runner.repository, pull.number)
            sticky = find_sticky(comments, options.working_directory, options.comment_author)
            return _trusted_preview(api, sticky, options, pull.number, say)
    except GitHubError as exc:
        say(
            workflow_command(
                "warning",
                f"could not read the plan comment for the audio earlier previews made ({exc}); "
                "it is generated again",
            )
        )
        return {}


def _trusted_preview(
    api: GitHubApi, sticky: Comment | None, options: ActionOptions, number: int, say: Say
) -> Previewed:
    """The jobs the action's comment carries, none if anyone else edited it last: a pasted
    marker would otherwise be carried on, and after the action's next edit look like its own."""
    if sticky is None:
        return {}
    try:
        return previewed_in(verified_body(api, sticky, options.comment_author))
    except EditedByOther as exc:
        say(
            workflow_command(
                "warning",
                f"the podsync plan comment on pull request #{number} was edited by {exc.editor} "
                "after podsync wrote it: the audio it says earlier previews paid for is not "
                "trusted (it is generated again where needed), and this run's comment replaces it",
            )
        )
        return {}


def _markdown(
    planned: Planned,
    base: Desired | None,
    max_chars: int | None = None,
    *,
    checksum: str,
    scripts: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """The plan in Markdown within `max_chars`; by default for the job summary, whole in
    practice and within GitHub's byte limit whatever the characters."""
    pages = audio_pages(planned.plan, planned.live)

    def markdown(room: int) -> str:
        return render_markdown(
            planned.plan,
            base=base,
            audio_pages=pages,
            max_chars=room,
            checksum=checksum,
            scripts=scripts,
        )

    if max_chars is not None:
        return markdown(max_chars)
    text = markdown(SUMMARY_CHARS)
    if len(text.encode("utf-8")) > SUMMARY_LIMIT * 7 // 8:
        text = markdown(SUMMARY_LIMIT // 4)
    return text


def _write_outputs(runner: Runner, planned: Planned, options: ActionOptions, checksum: str) -> None:
    plan = planned.plan
    plan_file = _plan_file(runner, options)
    write_saved_plan(plan_file, planned, options.project, {"no_delete": False})
    runner.set_outputs(
        {
            "has-changes": _flag(plan.has_changes),
            "has-deletes": _flag(plan.has_deletes),
            "audio-to-generate": str(sum(1 for job in plan.audio if job.action == "generate")),
            "plan-checksum": checksum,
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
    has_changes: bool,
    options: ActionOptions,
    say: Say,
    result: StepResult,
    head_sha: str | None = None,
) -> None:
    """Post or update the sticky comment (`head_sha`: the commit it is for, when pin-scripts
    pushed one on top of the event's). A 403 is the read-only token of a fork's pull request
    (or a workflow without `pull-requests: write`): warn, the job summary has the plan."""
    pull = runner.pull_request
    try:
        with GitHubApi(runner.token, api_url=runner.api_url) as api:
            posted = post_sticky(
                api,
                runner.repository,
                number,
                body,
                working_directory=options.working_directory,
                has_changes=has_changes,
                author=options.comment_author,
                head_sha=head_sha or (pull.head_sha if pull is not None else ""),
            )
    except GitHubError as exc:
        if exc.status == 403:
            if pull is None or not pull.from_fork:
                why = "Give the workflow `permissions: pull-requests: write`."
            elif options.require_review:
                why = FORK_CANNOT_COMMENT
            else:
                why = "A pull request from a fork gets a read-only token."
            say(
                workflow_command(
                    "warning",
                    f"could not post the plan comment ({exc}). {why} "
                    "The plan is in the job summary.",
                )
            )
            return
        result.problems.append(f"could not post the plan comment: {exc}")
        return
    _said_posted(posted, say)


def _comment_failure(runner: Runner, options: ActionOptions, error: PodsyncError, say: Say) -> None:
    """After a failed plan: the plan comment, if there is one, says so instead of showing the
    last plan that worked, and loses its checksum, so that merging now applies nothing. The
    audio earlier previews paid for stays in it for the next push."""
    pull = runner.pull_request
    assert pull is not None
    try:
        with GitHubApi(runner.token, api_url=runner.api_url) as api:
            comments = api.list_issue_comments(runner.repository, pull.number)
            sticky = find_sticky(comments, options.working_directory, options.comment_author)
            if sticky is None:
                return  # no plan to take back; the annotations say what failed
            body = compose_failure(
                options.working_directory,
                pull.head_sha,
                _problems(error),
                previewed=_carried_on(api, sticky, options, pull.number, say),
            )
            posted = post_sticky(
                api,
                runner.repository,
                pull.number,
                body,
                working_directory=options.working_directory,
                has_changes=False,
                author=options.comment_author,
                head_sha=pull.head_sha,
            )
    except GitHubError as exc:
        say(workflow_command("warning", f"could not mark the plan comment as failed: {exc}"))
        return
    _said_posted(posted, say)


def _carried_on(
    api: GitHubApi, sticky: Comment, options: ActionOptions, number: int, say: Say
) -> Previewed:
    """The previewed jobs a failed plan's comment keeps; when GitHub cannot say who edited the
    comment, none (warned): the failure must replace the plan whatever happens."""
    try:
        return _trusted_preview(api, sticky, options, number, say)
    except GitHubError as exc:
        say(
            workflow_command(
                "warning",
                f"could not check who last edited the plan comment ({exc}): the audio it says "
                "earlier previews paid for is not carried on",
            )
        )
        return {}


def _problems(error: PodsyncError) -> list[str]:
    if isinstance(error, ManifestError):
        return [str(problem) for problem in error.problems]
    return str(error).splitlines()


def _said_posted(posted: Posted, say: Say) -> None:
    if posted.comment is None:
        say("No changes and no earlier plan comment: nothing posted.")
    elif posted.action == "stale":
        say(
            workflow_command(
                "notice",
                "the plan comment was made for a newer commit of the pull request than this "
                "run's; left as it is",
            )
        )
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
