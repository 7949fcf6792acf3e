"""podsync.lock.journal: a lock write costs what changed, and a killed run's changes survive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podsync.errors import LockError
from podsync.lock import (
    CachedAudio,
    Lock,
    LockedEpisode,
    LockedShow,
    LockStore,
    read_lock,
    write_lock,
)
from podsync.lock_journal import journal_path

DIGEST = "sha256:" + "0" * 64


def catalogue(episodes: int) -> Lock:
    show = LockedShow(
        "s1",
        "Show",
        "A show.",
        {
            f"e{n}": LockedEpisode(f"id{n}", f"m{n}", DIGEST, f"Part {n}", "")
            for n in range(episodes)
        },
    )
    return Lock(shows={"show": show})


def audio(n: int) -> tuple[str, CachedAudio]:
    return f"sha256:{n:064x}", CachedAudio(f"m{n}", "succeeded", f"https://cdn.example/{n}.mp3")


def test_a_change_to_a_large_lock_appends_only_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    store = LockStore(path, Lock())
    store.save(catalogue(300))  # the first write is whole
    inode, size = os.stat(path).st_ino, os.stat(path).st_size
    for n in range(5):
        store.save(store.lock.with_audio(*audio(n)))
    assert os.stat(path).st_ino == inode  # the lock was not rewritten...
    assert journal_path(path).stat().st_size < 2000 < size  # ...its journal took the changes
    assert read_lock(path) == store.lock  # and a reader sees them, as after a kill
    store.close()
    assert not journal_path(path).exists()  # closed: one compacted lock, as users commit it
    assert read_lock(path) == store.lock
    assert os.stat(path).st_ino != inode


def test_a_torn_last_record_is_ignored_and_a_stale_journal_too(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    store = LockStore(path, Lock())
    store.save(catalogue(3))
    store.save(store.lock.with_audio(*audio(1)))
    saved = store.lock
    with journal_path(path).open("ab") as journal:
        journal.write(b'[["set",["audio","sha256:')  # killed half-way through an append
    assert read_lock(path) == saved
    left = journal_path(path).read_bytes()
    write_lock(path, saved)  # compacted, then killed before the journal was removed
    journal_path(path).write_bytes(left)
    assert read_lock(path) == saved
    # the next store compacts what it finds
    LockStore(path, read_lock(path)).close()
    assert not journal_path(path).exists()
    assert read_lock(path) == saved


def test_the_journal_is_compacted_once_it_outgrows_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    store = LockStore(path, Lock())
    store.save(catalogue(1))
    for n in range(50):
        store.save(store.lock.with_audio(*audio(n)))
        journal = journal_path(path)
        assert not journal.exists() or journal.stat().st_size <= path.stat().st_size
    assert read_lock(path) == store.lock


def test_a_corrupt_journal_line_names_the_journal_and_line(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    store = LockStore(path, Lock())
    store.save(catalogue(3))
    store.save(store.lock.with_audio(*audio(1)))
    with journal_path(path).open("ab") as journal:
        journal.write(b"not json\n")
    with pytest.raises(LockError, match=r"podsync\.lock\.journal:3: not valid JSON"):
        read_lock(path)


def test_a_journal_op_that_breaks_the_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "podsync.lock"
    store = LockStore(path, Lock())
    store.save(catalogue(3))
    store.save(store.lock.with_audio(*audio(1)))
    with journal_path(path).open("ab") as journal:
        journal.write(b'[["set",["shows","show","episodes","e1","digest"],"md5:1"]]\n')
    with pytest.raises(LockError, match="shows/show/episodes/e1/digest"):
        read_lock(path)
