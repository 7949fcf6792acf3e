"""`podsync apply` and `apply --preview`: confirm, run, and the closing table."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from podsync.cli import (
    EXIT_ERROR,
    _say,
    _to_stderr,
    color_option,
    concurrency_option,
    lock_timeout_option,
    main,
    no_delete_option,
    regenerate_option,
    reports_errors,
    use_color,
)
from podsync.cli.verify import _run_verify
from podsync.errors import ConfigError

if TYPE_CHECKING:
    from podsync.executor import Outcome
    from podsync.listen import Listen
    from podsync.operations import Hooks, Inputs, Planned, Settings


@main.command(short_help="Make the ZenMic account match the manifests.")
@click.argument(
    "target", default=".", type=click.Path(exists=True, path_type=Path), metavar="[PROJECT|PLAN]"
)
@click.option(
    "--project",
    "project_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="With a saved PLAN: the project folder [default: the one the plan was made in].",
)
@click.option(
    "--auto-approve", is_flag=True, help="Apply without asking (required without a terminal)."
)
@click.option(
    "--allow-destroy", is_flag=True, help="Allow deleting shows whose manifest was removed."
)
@click.option(
    "--allow-mass-removal",
    is_flag=True,
    help="Allow removing or re-publishing more than the safety share of a show's episodes "
    "(podsync.yaml safety.max_removal_share, default 30%) in one run.",
)
@no_delete_option
@regenerate_option
@click.option(
    "--verify",
    "verify_after",
    is_flag=True,
    help="Then run `podsync verify`: check each show's feed and audio as listeners get them.",
)
@click.option(
    "--preview",
    is_flag=True,
    help="Only generate the audio of new and changed episodes, to listen to before "
    "publishing: record the jobs in podsync.lock and print each episode's audio page; change "
    "no show or episode. The apply that follows reuses the audio and pays nothing twice.",
)
@concurrency_option
@lock_timeout_option
@click.option("--poll-interval", type=click.FloatRange(0.01), default=2.0, hidden=True)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print only the closing table: no plan (unless apply asks first), no progress.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: stdout is one JSON document, the plan and how the apply ended; progress and "
    "the closing table go to stderr. Needs --auto-approve or a saved plan.",
)
@color_option
@reports_errors
def apply(
    target: Path,
    project_dir: Path | None,
    auto_approve: bool,
    allow_destroy: bool,
    allow_mass_removal: bool,
    no_delete: bool,
    verify_after: bool,
    regenerate: tuple[str, ...],
    preview: bool,
    concurrency: int,
    lock_timeout: float,
    poll_interval: float,
    quiet: bool,
    fmt: str,
    color: str,
) -> None:
    """Make the ZenMic account match the manifests in PROJECT (default: the current folder).

    Given a PLAN file saved by `podsync plan --out`, apply exactly that plan, without asking
    again (it was reviewed when saved); if the manifests, podsync.lock or the live account
    changed since, refuse it as stale.
    """
    from podsync import operations
    from podsync.operations import Hooks, Settings, load_inputs
    from podsync.regenerate import regenerate_names
    from podsync.render import render
    from podsync.render.json import render_apply_json
    from podsync.render.progress import progress_display
    from podsync.saved_plan import check_applicable, check_fresh, read_saved_plan

    saved = read_saved_plan(target) if target.is_file() else None
    if saved is None and project_dir is not None:
        raise click.UsageError("--project goes with a saved plan file, not a project folder")
    if saved is not None and preview:
        raise click.UsageError("--preview goes with a project folder, not a saved plan file")
    if fmt == "json" and preview:
        raise click.UsageError("--format json goes with apply, not --preview")
    if fmt == "json" and not auto_approve and saved is None:
        raise click.UsageError("--format json needs --auto-approve (or a saved plan): no prompt")
    if preview and verify_after:
        raise click.UsageError("--verify goes with an apply that publishes, not --preview")
    if fmt == "json" and verify_after:
        raise click.UsageError("--verify goes with text output: run podsync verify --format json")
    if saved is not None:
        check_applicable(saved, target)
    project = project_dir or (saved.project_dir(target) if saved is not None else target)
    if saved is not None:  # a saved plan is applied as it was planned
        if no_delete and not saved.options.get("no_delete"):
            raise click.UsageError("this plan was saved without --no-delete; plan again with it")
        no_delete = bool(saved.options.get("no_delete"))
        asked = tuple(saved.options.get("regenerate", ()))
        if regenerate and sorted(set(regenerate)) != sorted(asked):
            raise click.UsageError(
                "this plan was saved with other --regenerate names; plan again with them"
            )
        regenerate = asked
    inputs = load_inputs(project)
    again = regenerate_names(inputs.desired, regenerate)
    approved = auto_approve or saved is not None
    if not approved and not sys.stdin.isatty():
        raise ConfigError("apply asks for confirmation; without a terminal pass --auto-approve")
    colored = use_color(color)
    settings = Settings(
        concurrency=concurrency,
        lock_timeout=lock_timeout,
        poll_interval=poll_interval,
        no_delete=no_delete,
        regenerate=again,
        allow_destroy=allow_destroy,
        allow_mass_removal=allow_mass_removal,
    )

    # --quiet and --format json keep stdout for the closing table or the JSON document
    brief = (quiet or fmt == "json") and approved

    def shown(planned: Planned) -> None:
        if saved is not None:  # refused before printing: a stale plan must not look approved
            check_fresh(saved, planned)
        if not brief:
            click.echo(render(planned.plan, "text", color=colored), nl=False, color=colored)

    display = progress_display(quiet=quiet, write=_to_stderr, color=color)
    hooks = Hooks(
        on_wait=_to_stderr,
        report=display.report,
        shown=shown,
        approve=_confirm(approved, blank=not brief),
        progress=display,
    )
    if preview:
        _preview(project, inputs, settings, hooks, approved)
        return
    result = operations.apply(project, inputs, settings, hooks)
    if not result.approved:
        click.echo("Apply cancelled; nothing was changed.")
        sys.exit(EXIT_ERROR)
    if fmt == "json":
        click.echo(render_apply_json(result.planned.plan, result.outcome), nl=False)
    if result.applied is not None:
        if fmt != "json" and not quiet:
            _say_listen(result.listen)
        _report_outcome(result.applied.outcome, to_stderr=fmt == "json")
        result.applied.raise_if_stopped()  # the run stopped (a lock it cannot write)
        if not result.applied.outcome.ok:
            sys.exit(EXIT_ERROR)
    if verify_after:
        click.echo("")
        _run_verify(project, audio=True, fmt="text", concurrency=concurrency)


def _confirm(approved: bool, blank: bool = True) -> Callable[[Planned], bool]:
    def approve(planned: Planned) -> bool:
        if not approved and not click.confirm("\nApply these changes?", default=False):
            return False
        if blank:
            click.echo("")
        return True

    return approve


def _preview(
    project: Path, inputs: Inputs, settings: Settings, hooks: Hooks, approved: bool
) -> None:
    """apply --preview: make the audio of the episodes the plan publishes with new audio,
    after asking (new jobs are paid for) unless approved, then list where to listen."""
    from podsync import operations
    from podsync.executor import publishing_new_audio
    from podsync.plan import counted

    def approve(planned: Planned) -> bool:
        episodes = publishing_new_audio(planned.plan)
        digests = {c.digest for c in episodes}
        paid = sum(1 for j in planned.plan.audio if j.action == "generate" and j.digest in digests)
        if not episodes:
            click.echo("\nNothing to preview: no episode is added or replaced with new audio.")
            return False
        click.echo(
            f"\nPreview: {counted(paid, 'new audio job')} to pay for, for "
            f"{counted(len(episodes), 'episode')}; no show or episode is published or changed."
        )
        if paid and not approved and not click.confirm("Generate this audio?", default=False):
            click.echo("Preview cancelled; nothing was changed.")
            sys.exit(EXIT_ERROR)
        click.echo("")
        return True

    result = operations.preview(project, inputs, settings, replace(hooks, approve=approve))
    if result.ran:
        _say_listen(result.listen, preview=True)
    _report_outcome(result.outcome, "Preview", "podsync apply --preview")
    if not result.outcome.ok:
        sys.exit(EXIT_ERROR)


def _report_outcome(
    outcome: Outcome, what: str = "Apply", again: str = "podsync apply", to_stderr: bool = False
) -> None:
    """The closing table: the counts, then (after a failure or Ctrl-C) where to pick up."""
    from podsync.operations import outcome_report

    headline, details = outcome_report(outcome, what, again)
    click.echo("", err=to_stderr)
    _say(headline, err=to_stderr)
    for line in details:
        _say(line, err=True)


def _say_listen(listen: Listen, *, preview: bool = False) -> None:
    """Where to hear what was published (or previewed): feeds and audio pages, or files."""
    from podsync.render.listen import listen_lines

    for n, line in enumerate(listen_lines(listen, preview=preview)):
        _say(("\n" if n == 0 else "") + line)
