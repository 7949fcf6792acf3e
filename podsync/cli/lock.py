"""`podsync lock rebuild`: repair podsync.lock from the live account."""

from __future__ import annotations

from pathlib import Path

import click

from podsync.cli import (
    _say,
    _to_stderr,
    concurrency_option,
    lock_timeout_option,
    main,
    project_argument,
    reports_errors,
)


@main.group("lock", short_help="Repair podsync.lock.")
def lock_group() -> None:
    """Repair podsync.lock, podsync's record of what it created and paid for."""


@lock_group.command("rebuild", short_help="Rebuild podsync.lock from the live account.")
@project_argument
@click.option("--force", is_flag=True, help="Replace a lock that reads fine too.")
@concurrency_option
@lock_timeout_option
@reports_errors
def lock_rebuild(project: Path, force: bool, concurrency: int, lock_timeout: float) -> None:
    """Rebuild PROJECT's podsync.lock (default: .) from the live account when it is corrupt
    or lost: adopt the live shows and episodes that match the manifests, change nothing live.

    The old file is kept beside it as podsync.lock.corrupt-<time>.
    """
    from podsync import operations
    from podsync.lock_rebuild import summary
    from podsync.operations import Hooks, Settings

    settings = Settings(concurrency=concurrency, lock_timeout=lock_timeout)
    result = operations.rebuild_lock(project, settings, Hooks(on_wait=_to_stderr), force=force)
    for line in summary(result.rebuilt, result.path, result.kept):
        _say(line)
