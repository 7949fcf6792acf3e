"""The lock's journal at the scale of a catalogue: what a save appends is found without walking
every record of the lock, and every change (the history of replaced jobs too) survives a kill."""

from __future__ import annotations

import json
import random
import sys
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from podsync.lock import (
    AppliedApproval,
    CachedAudio,
    Lock,
    LockedEpisode,
    LockedShow,
    LockStore,
    UnconfirmedJob,
    read_lock,
)
from podsync.lock_journal import _apply, changes, journal_path


def job(n: int, mic: str = "m") -> tuple[str, CachedAudio]:
    return f"sha256:{n:064x}", CachedAudio(f"{mic}{n}", "succeeded", f"https://cdn.example/{n}")


def test_the_history_of_a_replaced_job_survives_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    store = LockStore(path, Lock())
    store.save(Lock(audio=dict(job(n) for n in range(50))))
    store.save(store.lock.with_audio(*job(7, mic="again")))  # `apply --regenerate`
    assert store.lock.history, "the job it replaced is kept"
    assert journal_path(path).exists()

    assert read_lock(path) == store.lock  # as a run killed here leaves it


def lines_run(store: LockStore, lock: Lock) -> int:
    """How many lines of podsync's lock modules run while `store` saves `lock` (deterministic,
    unlike a timing): the Python-level work of a save."""
    modules = ("lock.py", "lock_journal.py", "lock_model.py", "lock_file.py")
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.endswith(modules) else None

    sys.settrace(tracer)
    try:
        store.save(lock)
    finally:
        sys.settrace(None)
    return count


def catalogue(size: int) -> Lock:
    """`size` episodes in shows of 50, and their audio."""
    shows = {
        f"show-{s}": LockedShow(
            f"s{s}",
            f"Show {s}",
            "",
            {f"ep-{e}": LockedEpisode(f"e{s}-{e}", f"m{e}", job(e)[0], "E", "") for e in range(50)},
        )
        for s in range(size // 50)
    }
    return Lock(shows=shows, audio=dict(job(n) for n in range(size)))


def step(n: int, size: int, lock: Lock) -> list[Lock]:
    """The changes an apply makes per episode, and a re-publish's and a removal's: the lock to
    save last, after the ones it was made from (which apply keeps alive until it is saved)."""
    new = LockedEpisode("e-new", "m-new", job(size + 2)[0], "New", "")
    if n == 0:
        return [lock.with_unconfirmed(job(size + 3)[0], UnconfirmedJob("now", "POST /audios"))]
    if n == 1:
        return [lock.with_audio(*job(size + 3))]
    if n == 2:
        return [lock.with_audio(*job(size // 2, mic="new"))]  # a job replaced: its history
    if n == 3:
        return [lock.with_episode("show-1", "ep-new", new)]
    if n == 4:
        published = lock.with_episode("show-1", "ep-2", new)
        return [published, published.with_retired("show-1", "e1-2", "ep-2")]
    return [lock.without_episode("show-1", "ep-3")]


def test_a_save_costs_the_same_on_a_catalogue_of_any_size(tmp_path: Path) -> None:
    counts = []
    for size in (100, 5000):
        path = tmp_path / f"{size}.lock"
        store = LockStore(path, catalogue(size))
        store.save(store.lock.with_audio(*job(size + 1)))  # the first write, whole
        store.save(store.lock.with_audio(*job(size + 2)))  # the journal is open
        for n in range(6):
            made = step(n, size, store.lock)
            counts.append(lines_run(store, made[-1]))
        assert read_lock(path) == store.lock
    half = len(counts) // 2
    assert counts[:half] == counts[half:], "no line runs once per record of the lock"


def replayed(old: Lock, new: Lock) -> Lock:
    data = json.loads(json.dumps(old.to_dict()))
    for op in changes(old, new):
        assert _apply(data, op)
    return Lock.from_dict(data)


def changed(lock: Lock, rng: random.Random) -> Lock:
    """One `with_*` or `without_*` of the lock, chosen at random."""
    show, episode = f"show-{rng.randrange(5)}", f"ep-{rng.randrange(60)}"
    digest, audio = job(rng.randrange(260), mic=rng.choice("ab"))
    kind = rng.randrange(12)
    if kind == 0:
        return lock.with_audio(digest, audio)
    if kind == 1:
        return lock.with_audio(digest, replace(audio, status="queued"))
    if kind == 2:
        return lock.with_unconfirmed(digest, UnconfirmedJob("at", "POST /audios"))
    if kind == 3:
        return lock.without_unconfirmed(digest)
    if kind == 4:
        return lock.with_show(show, LockedShow("s", "New", ""))
    if kind == 5:
        return lock.without_show(show)
    if kind == 6:
        return lock.with_protection(show, rng.choice([None, episode]), rng.random() < 0.5)
    if kind == 7:
        return lock.with_applied(rng.randrange(3), AppliedApproval("c", "m"))
    if kind == 8:
        return lock.without_retired(show, "e1")
    if show not in lock.shows:
        return lock.with_show(show, LockedShow("s", "Again", ""))
    if kind == 9:
        recorded = LockedEpisode(f"e{rng.randrange(9)}", "m", digest, "T", "")
        return lock.with_episode(show, episode, recorded)
    if kind == 10:
        return lock.without_episode(show, episode)
    return lock.with_retired(show, "e1", episode)


def test_the_changes_a_lock_says_it_made_are_all_it_changed() -> None:
    """Every `with_*` names what it changed; what the journal writes from those names alone
    rebuilds the same lock as a comparison of every record does."""
    rng = random.Random(14)
    lock = catalogue(200)
    for _ in range(500):
        made = changed(lock, rng)
        assert made is lock or made.touched_since(lock) is not None
        assert replayed(lock, made) == made
        assert replayed(lock, replace(made)) == made  # no names: every record compared
        lock = made
