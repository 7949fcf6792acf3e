"""plan, apply, preview and lock rebuild: what `podsync` and `podsync action` both run.

Each is one function that returns a result; the CLI and the GitHub Action parse options, call
one of these and format what it returns, so the two cannot drift apart. Where they differ (a
prompt, a saved plan to compare, a reviewed checksum, a lock to commit) the caller passes
hooks, called at fixed points of the one sequence:

    hold the apply mutex -> re-read podsync.lock -> seed -> plan -> shown
      -> (no changes: the lock-only work, done) -> check -> guards -> approve
      -> execute -> applied

Nothing here prints or exits; the steps themselves are in podsync.operations.steps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from podsync import listen
from podsync.apply_mutex import hold_project
from podsync.client import ZenMicClient
from podsync.endpoint import Endpoint, api_endpoint
from podsync.errors import PodsyncError
from podsync.executor import Outcome, PollPolicy
from podsync.lock import LOCK_NAME, Lock, read_lock
from podsync.model import Desired
from podsync.operations.steps import (
    Applied,
    Inputs,
    Planned,
    Targets,
    audio_pages,
    check_safe,
    execute,
    execute_plan,
    generate_audio,
    generate_preview_audio,
    load_desired,
    load_inputs,
    outcome_report,
    plan_offline,
    prune_lock,
    read_and_plan,
    request_targets,
    reread_lock,
)
from podsync.progress import Progress

if TYPE_CHECKING:
    from podsync import lock_rebuild  # a plan never rebuilds the lock: loaded by rebuild_lock

__all__ = [
    "Applied",
    "ApplyResult",
    "Hooks",
    "Inputs",
    "Planned",
    "PreviewResult",
    "RebuildResult",
    "Settings",
    "Targets",
    "apply",
    "audio_pages",
    "check_safe",
    "execute",
    "execute_plan",
    "generate_audio",
    "load_desired",
    "load_inputs",
    "outcome_report",
    "plan",
    "plan_offline",
    "preview",
    "read_and_plan",
    "rebuild_lock",
    "request_targets",
]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    """The options every operation shares, from the command line or the action's inputs."""

    concurrency: int = 8
    lock_timeout: float = 0.0  # seconds to wait for another apply on the project
    poll_interval: float = 2.0  # first wait between looks at an audio job
    no_delete: bool = False
    regenerate: frozenset[str] = frozenset()  # "show/episode": apply --regenerate
    allow_destroy: bool = False
    allow_mass_removal: bool = False


def _same(inputs: Inputs) -> Inputs:
    return inputs


def _nothing(planned: Planned) -> None:
    return None


def _yes(planned: Planned) -> bool:
    return True


def _not_refused(planned: Planned, error: PodsyncError) -> None:
    return None


def _ended(planned: Planned, applied: Applied | None) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """The caller's part of the sequence; each defaults to adding nothing."""

    on_wait: Say | None = None  # another apply holds the project: say that this one waits
    report: Say | None = None  # one step of the executor is done
    seed: Callable[[Inputs], Inputs] = _same  # the re-read inputs, before planning
    shown: Callable[[Planned], None] = _nothing  # the plan is made: show it, or refuse it
    check: Callable[[Planned], None] = _nothing  # changes pending: raise to refuse them
    refused: Callable[[Planned, PodsyncError], None] = _not_refused  # check or guard said no
    approve: Callable[[Planned], bool] = _yes  # the guards passed: go on?
    applied: Callable[[Planned, Applied | None], None] = _ended  # the executor ended, or raised
    # shows the audio jobs while the executor runs (podsync.render.progress); `report` should
    # be its .report, so the step lines take their place in the same display
    progress: Progress = field(default_factory=Progress)


@dataclass(frozen=True)
class ApplyResult:
    """How an apply ended. `applied` is None when nothing ran: no changes (the lock-only work
    was done) or not approved; its outcome says what was done, failed and not started."""

    planned: Planned
    applied: Applied | None = None
    approved: bool = True
    listen: listen.Listen = field(default_factory=listen.Listen)  # feeds and what was published

    @property
    def outcome(self) -> Outcome:
        return self.applied.outcome if self.applied is not None else Outcome()


@dataclass(frozen=True)
class PreviewResult:
    """How a preview ended: `ran` is False when the caller's approve said no (nothing to
    preview, or not confirmed); `lock` is podsync.lock as the preview left it."""

    planned: Planned
    lock: Lock
    ran: bool = False
    outcome: Outcome = field(default_factory=Outcome)
    listen: listen.Listen = field(default_factory=listen.Listen)  # where to hear each preview


@dataclass(frozen=True)
class RebuildResult:
    """The rebuilt lock, where it was written and where the old one was kept."""

    rebuilt: lock_rebuild.Rebuilt
    path: Path
    kept: Path | None


def plan(
    project: Path,
    inputs: Inputs,
    *,
    concurrency: int = 8,
    no_delete: bool = False,
    regenerate: frozenset[str] = frozenset(),
) -> Planned:
    """The plan against the live account, with an API client of its own."""
    settings = Settings(concurrency=concurrency, no_delete=no_delete, regenerate=regenerate)
    with api_endpoint(project) as endpoint:
        return _read_and_plan_at(endpoint, inputs, settings)


def apply(project: Path, inputs: Inputs, settings: Settings, hooks: Hooks) -> ApplyResult:
    """One apply at a time: under the apply mutex, plan from the lock as it is now, refuse what
    a check or a guard refuses before any change, then execute. The executor's Outcome is
    there even after Ctrl-C or an error that stopped it midway (Applied.stopped_by), so the
    caller can say where to pick up before raising it."""
    with (
        hold_project(project, settings.lock_timeout, on_wait=hooks.on_wait),
        api_endpoint(project) as endpoint,
    ):
        planned = _read_and_plan_at(endpoint, hooks.seed(reread_lock(inputs)), settings)
        hooks.shown(planned)
        if not planned.plan.has_changes:
            prune_lock(planned)
            return ApplyResult(planned)
        try:
            hooks.check(planned)
            check_safe(
                planned.plan,
                allow_destroy=settings.allow_destroy,
                allow_mass_removal=settings.allow_mass_removal,
            )
        except PodsyncError as exc:
            hooks.refused(planned, exc)
            raise
        # Asked outside the event loop, so Ctrl-C at a prompt stops at once.
        if not hooks.approve(planned):
            return ApplyResult(planned, approved=False)
        applied = None
        try:
            with hooks.progress:
                applied = execute_plan(
                    endpoint,
                    planned,
                    concurrency=settings.concurrency,
                    allow_destroy=settings.allow_destroy,
                    poll=PollPolicy(first=settings.poll_interval),
                    report=hooks.report,
                    observe=hooks.progress,
                )
        finally:
            hooks.applied(planned, applied)
        after = read_lock(planned.inputs.lock_path)
        heard = listen.after_apply(project, endpoint, planned.plan, planned.live, after)
        return ApplyResult(planned, applied, listen=heard)


def preview(
    project: Path, inputs: Inputs, settings: Settings, hooks: Hooks, *, holder: str = "apply"
) -> PreviewResult:
    """Under the apply mutex (held as `holder`), plan from the lock as it is now and, if the
    caller approves, generate the audio of what the plan publishes with new audio, changing no
    show or episode (see steps.generate_audio)."""
    with (
        hold_project(project, settings.lock_timeout, command=holder, on_wait=hooks.on_wait),
        api_endpoint(project) as endpoint,
    ):
        planned = _read_and_plan_at(endpoint, hooks.seed(reread_lock(inputs)), settings)
        hooks.shown(planned)
        if not hooks.approve(planned):
            return PreviewResult(planned, planned.inputs.lock)
        with hooks.progress:
            outcome = generate_preview_audio(
                endpoint,
                planned,
                concurrency=settings.concurrency,
                poll=PollPolicy(first=settings.poll_interval),
                report=hooks.report,
                observe=hooks.progress,
            )
        after = read_lock(planned.inputs.lock_path)
        heard = listen.after_preview(project, planned.plan, after)
        return PreviewResult(planned, after, True, outcome, heard)


def rebuild_lock(project: Path, settings: Settings, hooks: Hooks, *, force: bool) -> RebuildResult:
    """A new podsync.lock from the live account (see podsync.lock_rebuild), under the apply
    mutex; the old one is kept beside it."""
    from podsync import lock_rebuild

    desired = load_desired(project)
    path = project / LOCK_NAME
    with hold_project(
        project, settings.lock_timeout, command="lock rebuild", on_wait=hooks.on_wait
    ):
        previous = lock_rebuild.read_previous(path, force=force)
        with api_endpoint(project) as endpoint:
            rebuilt = asyncio.run(_rebuild(desired, previous, endpoint, settings.concurrency))
        kept = lock_rebuild.install_lock(path, rebuilt.lock, previous.set_aside)
    return RebuildResult(rebuilt, path, kept)


def _read_and_plan_at(endpoint: Endpoint, inputs: Inputs, settings: Settings) -> Planned:
    async def run() -> Planned:
        async with ZenMicClient(endpoint.url, endpoint.api_key) as client:
            return await read_and_plan(
                inputs,
                client,
                concurrency=settings.concurrency,
                no_delete=settings.no_delete,
                regenerate=settings.regenerate,
            )

    return asyncio.run(run())


async def _rebuild(
    desired: Desired, previous: lock_rebuild.Previous, endpoint: Endpoint, concurrency: int
) -> lock_rebuild.Rebuilt:
    from podsync import lock_rebuild

    async with ZenMicClient(endpoint.url, endpoint.api_key) as client:
        return await lock_rebuild.rebuild_lock(desired, client, previous, concurrency=concurrency)
