"""Apply exactly what was reviewed: find the pull request a push merged, read the checksum its
plan comment approved, and refuse a plan that is not that one.

octoDNS's `--checksum` idea, carried across the merge: the reviewer approved the plan shown in
the comment; if the plan on the default branch is different (the branch moved, or someone edited
the account by hand since), applying it would publish something nobody reviewed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from podsync.errors import EditedByOther, GitHubError, NotReviewed, ReviewMismatch
from podsync.github.api import GitHubApi, PullRequest
from podsync.github.comment import DEFAULT_AUTHOR, Approved, find_sticky, parse, verified_body
from podsync.github.runner import Runner
from podsync.lock import CachedAudio, Lock
from podsync.plan import Plan
from podsync.render.json import plan_checksum, plan_to_dict
from podsync.saved_plan import change_labels, describe_label_difference

REVIEW_AGAIN = (
    "to publish these changes, have them reviewed again: open a pull request (an empty commit "
    "will do), let the plan step comment it, and merge it"
)
ALLOW_UNREVIEWED = (
    "to apply pushes that do not come through a reviewed pull request, set the action's "
    "require-review input to false"
)


@dataclass(frozen=True)
class Review:
    """The reviewed plan for a push; `approved` None with the `reason` none was found.
    `unknown`: GitHub did not answer, so whether there is one (and audio its previews paid
    for) is not known."""

    pull: PullRequest | None
    approved: Approved | None
    reason: str = ""
    advice: str = ""  # how to get a reviewed plan, when there is a better way than the input
    unknown: bool = False

    @property
    def where(self) -> str:
        if self.pull is None:
            return "the pull request"
        return f"pull request #{self.pull.number}" + (
            f" ({self.pull.url})" if self.pull.url else ""
        )


def find_review(runner: Runner, working_directory: str, author: str = DEFAULT_AUTHOR) -> Review:
    """The plan approved on the pull request whose merge was pushed as `runner.sha`: the
    checksum in the action's own plan comment there (`author`'s; anyone else's comment with
    the same markers is ignored, or a pull request's author could approve their own plan)."""
    if runner.event_name != "push":
        return Review(
            None,
            None,
            f"this run was started by a {runner.event_name or 'manual'} "
            "event, not by a push that merged a pull request",
        )
    if not runner.token:
        return Review(
            None, None, "GITHUB_TOKEN is not set, so the merged pull request cannot be looked up"
        )
    try:
        with GitHubApi(runner.token, api_url=runner.api_url) as api:
            pull = merged_pull(api.pulls_for_commit(runner.repository, runner.sha), runner.sha)
            if pull is None:
                return Review(
                    None,
                    None,
                    f"commit {runner.sha[:12]} was pushed to "
                    f"{runner.branch or runner.ref} directly, not by merging a pull "
                    "request",
                )
            comments = api.list_issue_comments(runner.repository, pull.number)
            sticky = find_sticky(comments, working_directory, author)
            body = verified_body(api, sticky, author) if sticky is not None else ""
    except GitHubError as exc:
        return Review(
            None, None, f"the merged pull request could not be looked up: {exc}", unknown=True
        )
    except EditedByOther as exc:
        assert pull is not None  # only its comment can have been edited
        return Review(
            pull,
            None,
            f"the podsync plan comment on pull request #{pull.number} was edited by "
            f"{exc.editor} after podsync wrote it (GitHub records {exc.editor} as its last "
            "editor), so neither the checksum it shows nor the audio it says previews paid for "
            "is podsync's",
            advice=REVIEW_AGAIN,
        )
    if sticky is None and pull.from_fork:
        fork = f"the fork {pull.head_repo}" if pull.head_repo else "a fork since deleted"
        return Review(
            pull,
            None,
            f"pull request #{pull.number} came from {fork}, whose runs get no secrets and a "
            f"read-only token, so no plan comment by {author} could be posted on it to approve "
            "(if plan comments are posted with another token, set the action's comment-author "
            "input)",
            advice="to publish its changes, have them reviewed from this repository: open a "
            "pull request from a branch here (an empty commit will do), let the plan step "
            "comment it, and merge it",
        )
    if sticky is None:
        return Review(
            pull,
            None,
            f"pull request #{pull.number} has no podsync plan comment by {author} for "
            f"{working_directory!r} (did the plan step run on it, with changes? if the "
            "comments are posted with another token, set the action's comment-author input)",
        )
    approved = parse(body)
    if approved is None:
        return Review(
            pull,
            None,
            f"the podsync plan comment on pull request #{pull.number} holds no plan to apply "
            "(the last plan on it failed)",
        )
    return Review(pull, approved)


def unspent(review: Review, lock: Lock) -> Review:
    """The review, unless `lock` records that its approval was applied already: an approval is
    used once, by the push that merged it (a re-run, or a push that brings an applied merge
    back, must not publish it again)."""
    if review.approved is None or review.pull is None:
        return review
    spent = lock.applied.get(str(review.pull.number))
    if spent is None:
        return review
    return Review(
        review.pull,
        None,
        f"pull request #{review.pull.number}'s reviewed plan was already applied, by the push "
        f"of {spent.merge_commit[:12]}: an approval is used once",
        advice=REVIEW_AGAIN,
    )


def merged_pull(pulls: Sequence[PullRequest], sha: str) -> PullRequest | None:
    """The merged pull request whose merge produced `sha`; else the only merged one listed."""
    merged = [p for p in pulls if p.merged]
    exact = [p for p in merged if p.merge_commit_sha == sha]
    if exact:
        return exact[0]
    return merged[0] if len(merged) == 1 else None


def review_checksum(plan: Plan, previewed: Mapping[str, CachedAudio]) -> str:
    """The checksum a plan comment approves: the plan's, and the preview jobs the comment
    carries to the apply after the merge (so the jobs are part of what was reviewed)."""
    return plan_checksum(plan, {digest: audio.mic_id for digest, audio in previewed.items()})


def check_review(review: Review, plan: Plan, *, require_review: bool) -> str:
    """Raise unless `plan` is the approved one (or no review is required); return a line that
    says what was checked, for the log."""
    now = review_checksum(plan, review.approved.previewed if review.approved else {})
    if review.approved is None:
        if require_review:
            todo = f"{review.advice}; or, {ALLOW_UNREVIEWED}" if review.advice else ALLOW_UNREVIEWED
            raise NotReviewed(
                f"not applying: {review.reason}. Nothing was applied. {todo[0].upper()}{todo[1:]}."
            )
        if review.unknown and any(job.action == "generate" for job in plan.audio):
            raise NotReviewed(
                f"not applying: {review.reason}. With require-review false this apply would go "
                "on without the pull request's plan comment, and so would pay again for audio "
                "its previews may have paid for. Nothing was applied. Re-run the job once GitHub "
                "answers (the apply job needs `pull-requests: read`)."
            )
        return f"Applying without a reviewed plan (require-review is false): {review.reason}."
    if review.approved.checksum == now:
        return f"The plan is the one reviewed in {review.where} (checksum {now})."
    raise ReviewMismatch(
        f"not applying: the plan differs from the one reviewed in {review.where}\n"
        f"  reviewed: {review.approved.checksum}\n"
        f"  now:      {now}\n"
        f"{difference(review.approved.labels, plan)}\n"
        "Nothing was applied. Someone changed the account by hand since the review, or the "
        "branch moved: when several pull requests are merged before the previous apply "
        "finished, the newest apply sees the changes of more than one reviewed plan and refuses "
        "(merge pull requests one at a time, and wait for each apply to finish). To apply the "
        "plan above, have it reviewed: open a pull request (an empty commit will do), let the "
        "plan step comment it, and merge it."
    )


def difference(labels: Sequence[str] | None, plan: Plan) -> str:
    if labels is None:
        return (
            "  (the reviewed comment was too long to carry its list of changes; compare it with "
            "the plan above)"
        )
    described = describe_label_difference(labels, change_labels(plan_to_dict(plan)))
    return described or "  (the same changes, with different details: compare the plans)"
