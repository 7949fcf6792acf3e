"""The commands about the project itself: validate, script, status, init and import."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from podsync.cli import (
    EXIT_ERROR,
    _say,
    _to_stderr,
    concurrency_option,
    lock_timeout_option,
    main,
    project_argument,
    reports_errors,
    text_or_json_option,
)


@main.command(short_help="Check the manifests; no API call.")
@project_argument
@reports_errors
def validate(project: Path) -> None:
    """Check the manifests in PROJECT (default: the current folder); no API call."""
    from podsync.counting import counted
    from podsync.inputs import load_inputs

    inputs = load_inputs(project)
    shows = len(inputs.desired.shows)
    episodes = sum(len(s.episodes) for s in inputs.desired.shows)
    click.echo(f"{counted(shows, 'show')}, {counted(episodes, 'episode')}: valid.")


@main.command(short_help="Write and pin the scripts of topic and document episodes.")
@click.argument("targets", nargs=-1, metavar="[DIR] [SHOW[/EPISODE]]...")
@click.option("--force", is_flag=True, help="Write fresh scripts again too (one new request each).")
@click.option(
    "--accept",
    is_flag=True,
    help="Keep the named stale scripts as they are: record the manifest's topic, document "
    "and length as what they were written from, without a request.",
)
@reports_errors
def script(targets: tuple[str, ...], force: bool, accept: bool) -> None:
    """Write the words of topic and document episodes (POST /scripts, free) into
    scripts/SHOW/EPISODE.yaml and pin them with `script:` in the manifest: apply then makes
    the audio from that dialogue, which you may edit and a reviewer reads. Without names, every
    topic and document episode whose script is missing or stale; a fresh one is kept."""
    from podsync.operations.scripts import project_and_names, write_scripts
    from podsync.render.scripts import cost_line, event_line

    if accept and force:
        raise click.UsageError("--accept keeps scripts as they are; --force writes them again")
    project, names = project_and_names(targets)
    if accept and not names:
        raise click.UsageError("--accept needs the episodes to accept: SHOW/EPISODE")
    result = write_scripts(
        project, names, force=force, accept=accept, report=lambda e: _say(event_line(e))
    )
    click.echo(cost_line(result))


@main.command(short_help="List the managed shows and the account's others; read-only.")
@project_argument
@text_or_json_option
@concurrency_option
@reports_errors
def status(project: Path, fmt: str, concurrency: int) -> None:
    """List the shows PROJECT's podsync.lock manages (default: .), with their live ids, feed
    URLs and episode counts, when the lock was last written, and the account's shows the
    project does not manage. Only reads: no manifest needed, GET requests only."""
    from podsync.render.status import render_status
    from podsync.status import project_status

    _say(render_status(project_status(project, concurrency=concurrency), fmt).rstrip("\n"))


@main.command(short_help="Start a new project.")
@click.argument(
    "directory", default=".", type=click.Path(file_okay=False, path_type=Path), metavar="[DIR]"
)
@click.option(
    "--show", metavar="KEY", default=None, help="The first show's key [default: from DIR's name]."
)
@click.option("--github", is_flag=True, help="Also write .github/workflows/podsync.yml.")
@reports_errors
def init(directory: Path, show: str | None, github: bool) -> None:
    """Write a new project in DIR (default: the current folder, created if missing):
    podsync.yaml, a show with one episode of each source kind, .gitignore, the JSON Schemas
    for editors, and with --github the workflow. Never overwrites a file."""
    from podsync.init_project import create_project

    for line in create_project(directory, show, github=github):
        click.echo(line)


@main.command("import", short_help="Write manifests for live shows podsync does not manage.")
@click.argument("project", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--show",
    "show_ids",
    multiple=True,
    metavar="SHOW_ID",
    help="Import this live show (repeatable); default: every live show not managed yet.",
)
@concurrency_option
@lock_timeout_option
@reports_errors
def import_command(
    project: Path, show_ids: tuple[str, ...], concurrency: int, lock_timeout: float
) -> None:
    """Bring live shows (made in ZenMic's web page, say) under podsync in PROJECT (default: .):
    one new manifest per show in shows/, each episode publishing the audio it already has
    (source: {audio: <mic_id>}), and all of it recorded in podsync.lock, so the next plan
    says No changes. Never overwrites a file: a taken name gets a -2 suffix.

    Exits 1 when a show's manifest could not be written; an episode whose audio is unknown
    is reported and left out (it stays live, unmanaged).
    """
    from podsync.operations.importing import import_shows, import_summary

    result = import_shows(
        project,
        show_ids,
        concurrency=concurrency,
        lock_timeout=lock_timeout,
        on_wait=_to_stderr,
    )
    for line in import_summary(result):
        _say(line)
    if result.not_written:
        sys.exit(EXIT_ERROR)
