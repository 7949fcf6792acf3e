"""podsync.lock: what podsync created (show ids, episode ids) and the audio it paid for.

The lock is podsync's memory between runs. Without it, a re-run could not tell its own episodes
from hand-made ones, and would pay for audio it already has. So it is written after every step
that changed the world, atomically (temp file, fsync, rename): a crash leaves the old lock or the
new one, never half of either. It is JSON with sorted keys so that git diffs stay small.

The data model is in podsync.lock_model, the file's reading and writing in podsync.lock_file;
this module keeps LockStore, the handle apply writes through, and re-exports the rest.
"""

from __future__ import annotations

from pathlib import Path

from podsync import lock_journal
from podsync.errors import LockError
from podsync.file_modes import file_mode
from podsync.lock_file import (
    LOCK_NAME,
    REBUILD_HINT,
    SCHEMA_PATH,
    TEMP_PREFIX,
    read_lock,
    remove_stale_temp_files,
    serialize,
    write_lock,
)
from podsync.lock_model import (
    LOCK_VERSION,
    AppliedApproval,
    CachedAudio,
    Lock,
    LockedEpisode,
    LockedShow,
    UnconfirmedJob,
    entry,
    show_entry,
)

__all__ = [
    "LOCK_NAME",
    "LOCK_VERSION",
    "REBUILD_HINT",
    "SCHEMA_PATH",
    "TEMP_PREFIX",
    "AppliedApproval",
    "CachedAudio",
    "Lock",
    "LockStore",
    "LockedEpisode",
    "LockedShow",
    "UnconfirmedJob",
    "entry",
    "read_lock",
    "remove_stale_temp_files",
    "serialize",
    "show_entry",
    "write_lock",
]


class LockStore:
    """The executor's handle on the lock: every change is durable on disk before it returns,
    so a run killed at any point leaves a lock that describes what really happened.

    The first save writes the whole lock; later ones append only what changed to its journal
    (podsync.lock_journal), and the lock is written whole again when the journal outgrows it
    and at `close()`, so that a run costs in proportion to what it changed, not to the lock's
    size times its steps. A journal left by a killed run is compacted by the first write."""

    def __init__(self, path: Path, lock: Lock):
        self.path = path
        self.lock = lock
        remove_stale_temp_files(path.parent)
        self._journal: lock_journal.JournalFile | None = None
        self._lock_raw: bytes | None = None  # the lock file as this store last wrote it

    def save(self, lock: Lock) -> None:
        """Write `lock`; a disk that refuses (full, read-only) stops the run with LockError,
        since going on would change the account without a record of it."""
        if lock == self.lock:
            return
        self._save(lock, whole=False)
        self._sync()

    async def commit(self, lock: Lock) -> None:
        """`save` for concurrent tasks: durable when it returns, but the commits of the tasks
        that are ready at the same moment share one fsync (group commit). Each task still
        waits for its own record to be durable before its next request, and the journal is
        sequential, so a durable record means every earlier one is too."""
        if lock == self.lock:
            return
        self._save(lock, whole=False)
        if self._journal is None or not self._journal.unsynced:
            return
        import asyncio  # here: reading a lock needs no event loop

        await asyncio.sleep(0)  # the other tasks ready now append theirs
        self._sync()

    def close(self) -> None:
        """Compact: the whole lock written and the journal removed, as users commit it; a
        journal a killed run left is compacted here too, or by the first save (always whole)."""
        if self._journal is not None or lock_journal.journal_path(self.path).exists():
            self._save(self.lock, whole=True)

    def _sync(self) -> None:
        if self._journal is not None and self._journal.unsynced:
            try:
                self._journal.sync()
            except OSError as exc:
                raise self._error(exc) from None

    def _error(self, exc: OSError) -> LockError:
        return LockError(
            f"cannot write {self.path}: {exc.strerror or exc}; apply stopped so that nothing "
            "changes in the account without a record of it"
        )

    def _save(self, lock: Lock, *, whole: bool) -> None:
        """Write `lock` whole (durable), or append what changed to the journal (durable only
        once synced). After a failed append the next write is whole, so that nothing is
        appended after a torn record (which a reader ignores only at the end)."""
        try:
            if whole or self._lock_raw is None:
                self._write_whole(lock)
            else:
                data = lock_journal.record(lock_journal.changes(self.lock, lock))
                journal = self._journal
                size = journal.size if journal is not None else len(lock_journal.header(b""))
                if size + len(data) > len(self._lock_raw):
                    self._write_whole(lock)  # a journal larger than the lock: compact it
                else:
                    if journal is None:
                        mode = file_mode(self.path)
                        journal = lock_journal.JournalFile(self.path, self._lock_raw, mode)
                        self._journal = journal
                    journal.append(data)
        except OSError as exc:
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            self._lock_raw = None
            raise self._error(exc) from None
        self.lock = lock

    def _write_whole(self, lock: Lock) -> None:
        write_lock(self.path, lock)
        self._lock_raw = self.path.read_bytes()
        if self._journal is not None:
            self._journal.remove()
            self._journal = None
        else:
            lock_journal.remove(self.path)  # one a killed run left, now part of the lock
