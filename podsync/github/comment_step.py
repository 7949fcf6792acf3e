"""The sticky plan comment as a step sees it: whether to post, posting or marking it failed,
and the previewed jobs it carries; split from action.py so the step reads as a sequence of
calls (podsync.github.comment composes and parses the comment itself)."""

from __future__ import annotations

from podsync.errors import EditedByOther, GitHubError, ManifestError, PodsyncError
from podsync.github.api import Comment, GitHubApi
from podsync.github.comment import (
    Posted,
    compose_failure,
    find_sticky,
    post_sticky,
    previewed_in,
    verified_body,
)
from podsync.github.runner import Runner, workflow_command
from podsync.github.step import ActionOptions, CommentMode, Previewed, Say, StepResult

FORK_CANNOT_COMMENT = (
    "A pull request from a fork gets a read-only token, so its plan cannot be approved here: "
    "after the merge, the apply refuses to publish until the changes come through a pull "
    "request from a branch of this repository."
)


def earlier_preview(runner: Runner, options: ActionOptions, say: Say) -> Previewed:
    """The audio jobs the action's plan comment says earlier previews of this pull request
    paid for (none when it cannot be read: that audio is then generated again)."""
    pull = runner.pull_request
    if pull is None or not runner.token:
        return {}
    try:
        with GitHubApi(runner.token, api_url=runner.api_url) as api:
            comments = api.list_issue_comments(runner.repository, pull.number)
            sticky = find_sticky(comments, options.working_directory, options.comment_author)
            return trusted_preview(api, sticky, options, pull.number, say)
    except GitHubError as exc:
        say(
            workflow_command(
                "warning",
                f"could not read the plan comment for the audio earlier previews made ({exc}); "
                "it is generated again",
            )
        )
        return {}


def trusted_preview(
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


def wants_comment(mode: CommentMode, runner: Runner, say: Say) -> bool:
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


def post_comment(
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
    said_posted(posted, say)


def comment_failure(runner: Runner, options: ActionOptions, error: PodsyncError, say: Say) -> None:
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
                problems(error),
                previewed=carried_on(api, sticky, options, pull.number, say),
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
    said_posted(posted, say)


def carried_on(
    api: GitHubApi, sticky: Comment, options: ActionOptions, number: int, say: Say
) -> Previewed:
    """The previewed jobs a failed plan's comment keeps; when GitHub cannot say who edited the
    comment, none (warned): the failure must replace the plan whatever happens."""
    try:
        return trusted_preview(api, sticky, options, number, say)
    except GitHubError as exc:
        say(
            workflow_command(
                "warning",
                f"could not check who last edited the plan comment ({exc}): the audio it says "
                "earlier previews paid for is not carried on",
            )
        )
        return {}


def problems(error: PodsyncError) -> list[str]:
    if isinstance(error, ManifestError):
        return [str(problem) for problem in error.problems]
    return str(error).splitlines()


def said_posted(posted: Posted, say: Say) -> None:
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
