"""`podsync action plan|apply`: what the GitHub Action (action.yml) runs in a job."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from podsync.cli import (
    EXIT_ERROR,
    F,
    concurrency_option,
    lock_timeout_option,
    main,
    reports_errors,
)
from podsync.errors import PodsyncError


@main.group("action", short_help="For the GitHub Action: plan on pull requests, apply on merge.")
def action_group() -> None:
    """For the GitHub Action (action.yml): run inside a GitHub Actions job.

    \b
    plan   on a pull request: the plan as one sticky PR comment and the job
           summary, with its checksum; without ZENMIC_API_KEY (a fork), from
           podsync.lock alone
    apply  on a push to the default branch: apply only the plan approved on
           the merged pull request (same checksum, once, in a comment nobody
           but the bot edited), then commit podsync.lock; any other ref stands
           down, a forced push is refused

    Every option also reads an environment variable (PODSYNC_*), which is how
    the action passes its inputs. It reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH,
    GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF, GITHUB_TOKEN, GITHUB_API_URL,
    GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP from the runner.
    """


def _action_options(func: F) -> F:
    """The action's inputs, each also read from a PODSYNC_* variable."""
    options = [
        click.option(
            "--working-directory",
            envvar="PODSYNC_WORKING_DIRECTORY",
            default=".",
            show_default=True,
            help="The podsync project folder, relative to the workspace.",
        ),
        click.option(
            "--comment",
            envvar="PODSYNC_COMMENT",
            type=click.Choice(["auto", "true", "false"], case_sensitive=False),
            default="auto",
            show_default=True,
            help="Post the plan as a sticky PR comment (auto: on pull requests).",
        ),
        click.option(
            "--allow-destroy",
            envvar="PODSYNC_ALLOW_DESTROY",
            type=click.BOOL,
            default=False,
            show_default=True,
            help="apply: allow deleting shows whose manifest was removed.",
        ),
        click.option(
            "--allow-mass-removal",
            envvar="PODSYNC_ALLOW_MASS_REMOVAL",
            type=click.BOOL,
            default=False,
            show_default=True,
            help="apply: allow removing more than the safety share of a show's episodes.",
        ),
        click.option(
            "--commit-lock",
            envvar="PODSYNC_COMMIT_LOCK",
            type=click.BOOL,
            default=True,
            show_default=True,
            help="apply: commit and push podsync.lock to the branch afterwards.",
        ),
        click.option(
            "--preview",
            envvar="PODSYNC_PREVIEW",
            type=click.BOOL,
            default=False,
            show_default=True,
            help="plan: generate the audio of new and changed episodes for review, without "
            "publishing, and link it in the comment.",
        ),
        click.option(
            "--pin-scripts",
            envvar="PODSYNC_PIN_SCRIPTS",
            type=click.BOOL,
            default=False,
            show_default=True,
            help="plan: write the scripts of new and changed topic and document episodes "
            "(POST /scripts) and commit them to the pull request's branch for review.",
        ),
        click.option(
            "--comment-author",
            envvar="PODSYNC_COMMENT_AUTHOR",
            default="github-actions[bot]",
            show_default=True,
            help="The login that posts the plan comments (another bot's, or a person's with a "
            "personal token): only its comments are updated, and read as the approved plan.",
        ),
        click.option(
            "--require-review",
            envvar="PODSYNC_REQUIRE_REVIEW",
            type=click.BOOL,
            default=True,
            show_default=True,
            help="apply: only apply the plan approved on the merged pull request.",
        ),
        click.option(
            "--verify",
            envvar="PODSYNC_VERIFY",
            type=click.Choice(["true", "audio", "false"], case_sensitive=False),
            default="true",
            show_default=True,
            help="apply: then check each feed and each episode's audio as listeners get it "
            "(audio: also download and decode every MP3; false: skip).",
        ),
        concurrency_option,
        lock_timeout_option,
        click.option("--poll-interval", type=click.FloatRange(0.01), default=2.0, hidden=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _reports_errors_in_log(func: F) -> F:
    """reports_errors for the runner's log, where user text must not read as a command."""
    return reports_errors(func, _log_safe, annotate=False)  # _run_action annotates


def _log_safe(text: str) -> str:
    from podsync.github.log_safety import log_safe  # when there is an error to say, not before

    return log_safe(text)


@action_group.command("plan", short_help="Plan, comment on the pull request, write outputs.")
@_action_options
@_reports_errors_in_log
def action_plan(**options: Any) -> None:
    """Plan the project in --working-directory for the pull request that started this job:
    the plan goes to a sticky PR comment and to the job summary, its checksum and counts to
    the step outputs."""
    from podsync.github.action import run_plan

    _run_action(run_plan, options)


@action_group.command("apply", short_help="Apply the reviewed plan, commit podsync.lock.")
@_action_options
@_reports_errors_in_log
def action_apply(**options: Any) -> None:
    """Apply the plan approved on the pull request this push merged, only if the plan is still
    exactly that one (same checksum), then commit and push podsync.lock."""
    from podsync.github.action import run_apply

    _run_action(run_apply, options)


def _run_action(step: Callable[..., Any], options: dict[str, Any]) -> None:
    from podsync.github.action import ActionOptions
    from podsync.github.log_safety import safe_say
    from podsync.github.runner import Runner, error_annotations, workflow_command

    lowered = {name: options[name].lower() for name in ("comment", "verify")}
    settings = ActionOptions(**{**options, **lowered})
    try:
        result = step(settings, Runner.from_env(os.environ), safe_say(click.echo))
    except PodsyncError as exc:
        for line in error_annotations(exc):
            click.echo(line)
        raise
    for problem in result.problems:
        click.echo(workflow_command("error", problem))
    if not result.ok:
        sys.exit(EXIT_ERROR)
