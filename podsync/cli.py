"""The podsync command line: parse options, call into the package, map errors to exit codes.

Exit codes are decided here and nowhere else: 0 success (or no changes), 1 any error,
2 changes pending (plan --detailed-exitcode only).
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from podsync import __version__
from podsync.client import ZenMicClient
from podsync.connection import api_endpoint, emulator_state_dir
from podsync.errors import ManifestError, PodsyncError
from podsync.executor import Outcome, PollPolicy
from podsync.render import FORMATS, render
from podsync.workflow import (
    Inputs,
    Planned,
    check_safe,
    execute,
    load_inputs,
    make_plan,
    prune_lock,
)

F = TypeVar("F", bound=Callable[..., Any])

project_argument = click.argument(
    "project",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)


def reports_errors(func: F) -> F:
    """Turn every PodsyncError into its message and exit code 1: users never see tracebacks
    for their own mistakes or the API's refusals."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ManifestError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was sent.", err=True
            )
            sys.exit(1)
        except PodsyncError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted. Run `podsync plan` to see where things stand.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def use_color(choice: str) -> bool:
    """--color auto: only on a terminal, and never with NO_COLOR set (an empty value is unset)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="podsync")
def main() -> None:
    """Podcasts as code: keep shows and episodes as YAML, plan and apply them on ZenMic."""


@main.command()
@project_argument
@reports_errors
def validate(project: Path) -> None:
    """Check the manifests in PROJECT without contacting the API."""
    inputs = load_inputs(project)
    shows = inputs.desired.shows
    episodes = sum(len(s.episodes) for s in shows)
    click.echo(f"{len(shows)} shows, {episodes} episodes: valid.")


@main.command()
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
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@color_option
@reports_errors
def plan(project: Path, fmt: str, detailed_exitcode: bool, concurrency: int, color: str) -> None:
    """Show what apply would change in the ZenMic account."""
    planned = _plan(project, concurrency)
    colored = use_color(color)
    click.echo(render(planned.plan, fmt, color=colored), nl=False, color=colored)
    if detailed_exitcode and planned.plan.has_changes:
        sys.exit(2)


@main.command()
@project_argument
@click.option(
    "--auto-approve", is_flag=True, help="Apply without asking (required without a terminal)."
)
@click.option(
    "--allow-destroy", is_flag=True, help="Allow deleting shows whose manifest was removed."
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Audio jobs run at once.",
)
@click.option("--poll-interval", type=click.FloatRange(0.01), default=2.0, hidden=True)
@color_option
@reports_errors
def apply(
    project: Path,
    auto_approve: bool,
    allow_destroy: bool,
    concurrency: int,
    poll_interval: float,
    color: str,
) -> None:
    """Make the ZenMic account match the manifests."""
    inputs = load_inputs(project)
    if not auto_approve and not sys.stdin.isatty():
        raise PodsyncError("apply asks for confirmation; without a terminal pass --auto-approve")
    with api_endpoint(project) as endpoint:
        outcome = asyncio.run(
            _apply(
                inputs,
                endpoint.url,
                endpoint.api_key,
                auto_approve=auto_approve,
                allow_destroy=allow_destroy,
                concurrency=concurrency,
                poll=PollPolicy(first=poll_interval),
                color=use_color(color),
            )
        )
    if outcome is None:
        return
    _report_outcome(outcome)
    if not outcome.ok:
        sys.exit(1)


async def _apply(
    inputs: Inputs,
    url: str,
    api_key: str,
    *,
    auto_approve: bool,
    allow_destroy: bool,
    concurrency: int,
    poll: PollPolicy,
    color: bool,
) -> Outcome | None:
    async with ZenMicClient(url, api_key) as client:
        planned = await make_plan(inputs, client, concurrency=concurrency)
        click.echo(render(planned.plan, "text", color=color), nl=False, color=color)
        if not planned.plan.has_changes:
            prune_lock(planned)
            return None
        check_safe(planned.plan, allow_destroy=allow_destroy)
        if not auto_approve and not await asyncio.to_thread(
            click.confirm, "\nApply these changes?", default=False
        ):
            click.echo("Apply cancelled; nothing was changed.")
            return None
        click.echo("")
        return await execute(
            planned,
            client,
            concurrency=concurrency,
            allow_destroy=allow_destroy,
            poll=poll,
            report=click.echo,
        )


def _plan(project: Path, concurrency: int) -> Planned:
    inputs = load_inputs(project)

    async def go(url: str, key: str) -> Planned:
        async with ZenMicClient(url, key) as client:
            return await make_plan(inputs, client, concurrency=concurrency)

    with api_endpoint(project) as endpoint:
        return asyncio.run(go(endpoint.url, endpoint.api_key))


def _report_outcome(outcome: Outcome) -> None:
    click.echo("")
    click.echo(
        f"Apply finished: {len(outcome.done)} done, {len(outcome.failed)} failed, "
        f"{len(outcome.not_started)} not started."
    )
    for label, reason in outcome.failed:
        click.echo(f"  failed       {label}: {reason}", err=True)
    for label, reason in outcome.not_started:
        click.echo(f"  not started  {label}: {reason}", err=True)
    if not outcome.ok:
        click.echo("Fix the cause and run `podsync apply` again: it picks up from here.", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8765, show_default=True)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the emulator keeps its state [default: ./.podsync/emulator].",
)
@click.option(
    "--job-seconds",
    type=click.FloatRange(0),
    default=3.0,
    show_default=True,
    help="How long each audio job takes.",
)
@reports_errors
def emulator(host: str, port: int, state_dir: Path | None, job_seconds: float) -> None:
    """Run a local ZenMic-compatible API server (point ZENMIC_API_URL at it)."""
    from podsync.emulator import serve_forever

    directory = state_dir or emulator_state_dir(Path("."))

    def ready(url: str) -> None:
        click.echo(f"ZenMic emulator on {url} (state in {directory})")
        click.echo(f"Point podsync at it: ZENMIC_API_URL={url} (any API key is accepted).")
        click.echo("Ctrl-C stops it.")

    serve_forever(
        directory, host=host, port=port, job_seconds=job_seconds, api_key=None, on_ready=ready
    )
