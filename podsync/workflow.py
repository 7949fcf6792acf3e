"""The steps plan and apply share: read the three inputs, make the plan, run the executor.

Kept apart from cli.py so that tests and the GitHub Action can drive podsync without click.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from podsync.client import ZenMicClient
from podsync.errors import PodsyncError, UnsafePlan
from podsync.executor import (
    Executor,
    Outcome,
    PollPolicy,
    Report,
    forget_stale,
    record_protection,
)
from podsync.live import read_audio_statuses, read_live
from podsync.lock import LOCK_NAME, Lock, LockStore, read_lock
from podsync.manifest import load_project
from podsync.model import Desired, Live, LiveShow
from podsync.plan import Plan
from podsync.planner import audio_to_verify, live_show_ids_to_read, plan


@dataclass(frozen=True)
class Inputs:
    desired: Desired
    lock: Lock
    lock_path: Path


@dataclass(frozen=True)
class Planned:
    inputs: Inputs
    live: Live
    plan: Plan


def load_inputs(project_dir: Path) -> Inputs:
    """Everything local: manifests validated and the lock read, before any request is sent."""
    desired = load_desired(project_dir)
    lock_path = project_dir / LOCK_NAME
    return Inputs(desired, read_lock(lock_path), lock_path)


def load_desired(project_dir: Path) -> Desired:
    """The manifests alone, validated; `lock rebuild` needs them when the lock is unreadable."""
    markers = ("shows", "podsync.yaml", LOCK_NAME)
    if not any((project_dir / name).exists() for name in markers):
        raise PodsyncError(
            f"{project_dir} is not a podsync project: it has no shows/ folder, podsync.yaml "
            "or podsync.lock (run podsync in your project folder, or name it: podsync plan DIR)"
        )
    return load_project(project_dir)


def reread_lock(inputs: Inputs) -> Inputs:
    """The same manifests with the lock as it is now: read again once the project lock is held,
    so that what another apply recorded while this one waited counts."""
    return replace(inputs, lock=read_lock(inputs.lock_path))


async def make_plan(
    inputs: Inputs, client: ZenMicClient, *, concurrency: int = 8, no_delete: bool = False
) -> Planned:
    def wanted(shows: list[LiveShow]) -> set[str]:
        return live_show_ids_to_read(inputs.desired, inputs.lock, shows)

    names = request_targets(inputs)
    live = await read_live(client, wanted, concurrency=concurrency, name=names.show)
    mic_ids = audio_to_verify(inputs.desired, inputs.lock, live, no_delete=no_delete)
    if mic_ids:
        statuses = await read_audio_statuses(
            client, mic_ids, concurrency=concurrency, name=names.audio
        )
        live = replace(live, audio=statuses)
    return Planned(inputs, live, plan(inputs.desired, inputs.lock, live, no_delete=no_delete))


@dataclass(frozen=True)
class Targets:
    """Name the show or episode a failed read was for by its manifest key, not by an API id
    that means nothing to the person reading the error."""

    shows: dict[str, str]
    episodes: dict[str, str]

    def show(self, show_id: str) -> str:
        key = self.shows.get(show_id)
        return f"show {key} ({show_id})" if key else f"show {show_id}"

    def audio(self, mic_id: str) -> str:
        episode = self.episodes.get(mic_id)
        return f"audio for {episode} ({mic_id})" if episode else f"cached audio {mic_id}"


def request_targets(inputs: Inputs) -> Targets:
    shows = {s.show_id: key for key, s in inputs.lock.shows.items()}
    by_digest = {
        e.source.digest: f"{show.key}/{e.key}"
        for show in inputs.desired.shows
        for e in show.episodes
    }
    episodes = {
        audio.mic_id: by_digest[digest]
        for digest, audio in inputs.lock.audio.items()
        if digest in by_digest
    }
    return Targets(shows, episodes)


def check_safe(
    planned: Plan, *, allow_destroy: bool = False, allow_mass_removal: bool = False
) -> None:
    """Refuse the whole apply, before any change, when a guard trips: a show deleted, too many
    of a show's episodes removed at once, or something protected removed. Every tripped guard
    is named, with the flag that lifts it (a protected one has none)."""
    allowed = {
        flag
        for flag, given in (
            ("--allow-destroy", allow_destroy),
            ("--allow-mass-removal", allow_mass_removal),
        )
        if given
    }
    refused = planned.refused(frozenset(allowed))
    if refused:
        raise UnsafePlan([g.message for g in refused])


async def execute(
    planned: Planned,
    client: ZenMicClient,
    *,
    concurrency: int = 8,
    allow_destroy: bool = False,
    poll: PollPolicy | None = None,
    report: Report | None = None,
    outcome: Outcome | None = None,
) -> Outcome:
    store = LockStore(planned.inputs.lock_path, planned.inputs.lock)
    executor = Executor(
        client,
        store,
        planned.plan,
        concurrency=concurrency,
        allow_destroy=allow_destroy,
        poll=poll,
        report=report,
        outcome=outcome,
    )
    return await executor.run()


def prune_lock(planned: Planned) -> None:
    """With nothing to change live, still do the lock-only work: forget what left both the
    manifests and the account, and record `protect:` changes."""
    store = LockStore(planned.inputs.lock_path, planned.inputs.lock)
    forget_stale(store, planned.plan)
    record_protection(store, planned.plan)
