"""`podsync plan`: what apply would change, printed, and saved with --out for `podsync apply`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from podsync.cli import (
    EXIT_CHANGES,
    color_option,
    concurrency_option,
    main,
    no_delete_option,
    project_argument,
    regenerate_option,
    reports_errors,
    use_color,
)
from podsync.render import FORMATS

if TYPE_CHECKING:
    from podsync.model import Desired


@main.command(short_help="Show what apply would change.")
@project_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when none (1 is still an error).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also save the plan to this file, for `podsync apply FILE` to apply exactly it.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Let --out replace an existing file that is not a saved plan (never the lock or a "
    "manifest).",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Compare the manifests with podsync.lock only: no API key needed, no request sent "
    "(a pull request from a fork). Changes made in the account outside podsync are not seen, "
    "and the plan cannot be applied.",
)
@click.option(
    "--base-ref",
    metavar="REF",
    default=None,
    help="Compare with the manifests at this git commit or ref (a pull request's base, or "
    "HEAD) to show the changed dialogue lines (text and Markdown) and what a title was "
    "(Markdown).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Text: also show the warnings a plan leaves out by default (acknowledged in "
    "podsync.yaml, a feed order this plan does not change).",
)
@concurrency_option
@no_delete_option
@regenerate_option
@color_option
@reports_errors
def plan(
    project: Path,
    fmt: str,
    detailed_exitcode: bool,
    out: Path | None,
    force: bool,
    offline: bool,
    base_ref: str | None,
    concurrency: int,
    no_delete: bool,
    regenerate: tuple[str, ...],
    color: str,
    verbose: bool,
) -> None:
    """Show what apply would change in the ZenMic account for PROJECT (default: .)."""
    from podsync import operations
    from podsync.operations import load_inputs
    from podsync.regenerate import regenerate_names
    from podsync.render import render

    inputs = load_inputs(project)
    again = regenerate_names(inputs.desired, regenerate)
    if out is not None:
        from podsync.saved_plan import check_plan_target

        check_plan_target(out, project, inputs.desired, force=force)
    if offline:
        planned = operations.plan_offline(inputs, no_delete=no_delete, regenerate=again)
    else:
        planned = operations.plan(
            project, inputs, concurrency=concurrency, no_delete=no_delete, regenerate=again
        )
    colored = use_color(color)
    base = _base(project, base_ref) if base_ref else None
    document = render(planned.plan, fmt, color=colored, base=base, verbose=verbose)
    click.echo(document, nl=False, color=colored)
    if out is not None:
        from podsync.plan_file import plan_checksum
        from podsync.saved_plan import write_saved_plan

        options = {"no_delete": no_delete, "regenerate": sorted(again)}
        write_saved_plan(out, planned, project, options)
        checksum = plan_checksum(planned.plan)
        click.echo(
            f"\nSaved the offline plan to {out} (checksum {checksum}). It did not read the "
            "account, so it cannot be applied."
            if offline
            else f"\nSaved the plan to {out} (checksum {checksum}).\n"
            f"To apply exactly this plan: podsync apply {out}",
            err=True,
        )
    if detailed_exitcode and planned.plan.has_changes:
        sys.exit(EXIT_CHANGES)


def _base(project: Path, ref: str) -> Desired | None:
    """The manifests at `ref`, or None with a note: a missing base only costs the diffs."""
    from podsync.git_history import load_base

    base = load_base(project, ref)
    if base is None:
        click.echo(
            f"Note: could not read the manifests at {ref!r} (not a git repository, an unknown "
            "ref, or the project was not there or did not validate); the plan shows no "
            "dialogue diffs.",
            err=True,
        )
    return base
