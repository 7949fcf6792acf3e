"""`podsync verify`, and the check `apply --verify` runs after publishing."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from podsync.cli import (
    EXIT_ERROR,
    concurrency_option,
    main,
    project_argument,
    reports_errors,
    text_or_json_option,
)


@main.command(short_help="Check each show's feed and audio as listeners get them.")
@project_argument
@click.option(
    "--no-audio",
    is_flag=True,
    help="Check the feeds and that each audio file answers, without downloading and decoding it.",
)
@text_or_json_option
@concurrency_option
@reports_errors
def verify(project: Path, no_audio: bool, fmt: str, concurrency: int) -> None:
    """Read each managed show's feed in PROJECT (default: the current folder) as a podcast app
    would and check every episode of the manifests: listed once, with its title, newest first,
    its audio reachable and (unless --no-audio) a decodable MP3 of about the length asked.
    Exits 1 on any mismatch, naming the URL that disagreed."""
    _run_verify(project, audio=not no_audio, fmt=fmt, concurrency=concurrency)


def _run_verify(project: Path, *, audio: bool, fmt: str, concurrency: int) -> None:
    from podsync.render.verify import render_verify
    from podsync.verify import verify as verify_project

    result = verify_project(project, audio=audio, concurrency=concurrency)
    click.echo(render_verify(result, fmt), nl=False)
    if not result.ok:
        sys.exit(EXIT_ERROR)
