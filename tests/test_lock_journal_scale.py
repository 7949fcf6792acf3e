"""The lock's journal at the scale of a catalogue: what a save appends is found without walking
every record of the lock, and every change (the history of replaced jobs too) survives a kill."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

from podsync.lock import CachedAudio, Lock, LockStore, read_lock
from podsync.lock_journal import journal_path


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


def test_a_save_costs_the_same_on_a_catalogue_of_any_size(tmp_path: Path) -> None:
    counts = []
    for size in (50, 5000):
        path = tmp_path / f"{size}.lock"
        store = LockStore(path, Lock())
        store.save(Lock(audio=dict(job(n) for n in range(size))))
        store.save(store.lock.with_audio(*job(size + 1)))  # the journal is open
        counts.append(lines_run(store, store.lock.with_audio(*job(size + 2))))
        counts.append(lines_run(store, store.lock.with_audio(*job(size // 2, mic="new"))))
        assert read_lock(path) == store.lock
    assert counts[:2] == counts[2:], "no line runs once per record of the lock"
