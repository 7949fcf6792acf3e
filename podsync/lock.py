"""podsync.lock: what podsync created (show ids, episode ids) and the audio it paid for.

The lock is podsync's memory between runs. Without it, a re-run could not tell its own episodes
from hand-made ones, and would pay for audio it already has. So it is written after every step
that changed the world, atomically (temp file, fsync, rename): a crash leaves the old lock or the
new one, never half of either. It is JSON with sorted keys so that git diffs stay small.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema

import podsync
from podsync import failpoints, lock_journal
from podsync.applied_source import AppliedSource
from podsync.errors import CorruptLock, LockError
from podsync.lock_check import matches_schema
from podsync.model import AUDIO_SUCCEEDED, AUDIO_UNSUCCESSFUL
from podsync.safe_text import escape_json
from podsync.schema import SchemaValidator

LOCK_NAME = "podsync.lock"
TEMP_PREFIX = ".podsync.lock."
LOCK_VERSION = 1
SCHEMA_PATH = Path(podsync.__file__).parent / "schemas" / "lock.schema.json"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class LockedEpisode:
    """A live episode podsync published, and what it published it with."""

    episode_id: str
    mic_id: str
    digest: str
    title: str
    description: str
    # `protect: true` as last applied; kept here so that removing the episode from its manifest
    # (which removes the `protect:` line with it) is still refused
    protected: bool = False
    # the source as published, the "before" of a plan's source fields (None: not known)
    source: AppliedSource | None = None


@dataclass(frozen=True)
class LockedShow:
    """A live show podsync manages; title/description are the values it last applied."""

    show_id: str
    title: str
    description: str
    episodes: dict[str, LockedEpisode] = field(default_factory=dict)
    protected: bool = False  # `protect: true` as last applied, as for LockedEpisode
    # live episode id -> key: the old version of a re-published episode, still to be removed
    retired: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CachedAudio:
    """An audio job podsync paid for, keyed in the lock by the digest of its source."""

    mic_id: str
    status: str
    audio_url: str | None = None
    audio_page_url: str | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == AUDIO_SUCCEEDED

    @property
    def failed(self) -> bool:
        """Finished without audio (failed, cancelled, expired, missing...): pay for a new job."""
        return self.status in AUDIO_UNSUCCESSFUL


@dataclass(frozen=True)
class UnconfirmedJob:
    """A POST /audios without a clear answer on record: a job may exist (and be billed) that
    podsync cannot find, since the API cannot list jobs. Written before the request is sent and
    replaced by the job's record when its answer comes, so a run killed in between still leaves
    it; kept so the next plan says it may pay twice."""

    at: str  # when, ISO 8601 UTC
    request: str  # the request and what went wrong with it


@dataclass(frozen=True)
class AppliedApproval:
    """A pull request's reviewed plan that the GitHub Action applied, keyed in the lock by the
    pull request's number: an approval is used once (podsync.github.review)."""

    checksum: str
    merge_commit: str


@dataclass(frozen=True)
class Lock:
    """Immutable: every `with_*` returns a new Lock, so the planner can trust its input."""

    shows: dict[str, LockedShow] = field(default_factory=dict)
    audio: dict[str, CachedAudio] = field(default_factory=dict)
    unconfirmed: dict[str, UnconfirmedJob] = field(default_factory=dict)
    applied: dict[str, AppliedApproval] = field(default_factory=dict)
    # digest -> the finished jobs a newer one replaced (oldest first): `apply --regenerate`
    # keeps what it paid for before, so a regenerate asked by mistake can be undone
    history: dict[str, tuple[CachedAudio, ...]] = field(default_factory=dict)

    def with_show(self, key: str, show: LockedShow) -> Lock:
        return replace(self, shows={**self.shows, key: show})

    def without_show(self, key: str) -> Lock:
        return replace(self, shows={k: v for k, v in self.shows.items() if k != key})

    def with_episode(self, show_key: str, key: str, episode: LockedEpisode) -> Lock:
        show = self.shows[show_key]
        return self.with_show(show_key, replace(show, episodes={**show.episodes, key: episode}))

    def without_episode(self, show_key: str, key: str) -> Lock:
        show = self.shows[show_key]
        remaining = {k: v for k, v in show.episodes.items() if k != key}
        return self.with_show(show_key, replace(show, episodes=remaining))

    def with_retired(self, show_key: str, episode_id: str, key: str) -> Lock:
        """The show records `episode_id` as the old version of its episode `key`: podsync
        published the new version and is to remove this one."""
        show = self.shows[show_key]
        return self.with_show(show_key, replace(show, retired={**show.retired, episode_id: key}))

    def without_retired(self, show_key: str, episode_id: str) -> Lock:
        show = self.shows.get(show_key)
        if show is None or episode_id not in show.retired:
            return self
        retired = {i: k for i, k in show.retired.items() if i != episode_id}
        return self.with_show(show_key, replace(show, retired=retired))

    def with_protection(self, show_key: str, episode_key: str | None, protected: bool) -> Lock:
        """The show (episode_key None) or episode marked protected or not; unknown keys are
        left alone (the record appears once apply has created it)."""
        show = self.shows.get(show_key)
        if show is None:
            return self
        if episode_key is None:
            return self.with_show(show_key, replace(show, protected=protected))
        episode = show.episodes.get(episode_key)
        if episode is None:
            return self
        return self.with_episode(show_key, episode_key, replace(episode, protected=protected))

    def with_audio(self, digest: str, audio: CachedAudio) -> Lock:
        """The job for `digest`; a job now on record settles any unconfirmed submission."""
        unconfirmed = {d: u for d, u in self.unconfirmed.items() if d != digest}
        history = self.history
        old = self.audio.get(digest)
        if old is not None and old.succeeded and old.mic_id != audio.mic_id:
            history = {**history, digest: (*history.get(digest, ()), old)}
        return replace(
            self, audio={**self.audio, digest: audio}, unconfirmed=unconfirmed, history=history
        )

    def with_unconfirmed(self, digest: str, job: UnconfirmedJob) -> Lock:
        return replace(self, unconfirmed={**self.unconfirmed, digest: job})

    def without_unconfirmed(self, digest: str) -> Lock:
        """Settled without a job: the API refused the request, or it was never sent."""
        return replace(self, unconfirmed={d: u for d, u in self.unconfirmed.items() if d != digest})

    def with_applied(self, pull_request: int, approval: AppliedApproval) -> Lock:
        return replace(self, applied={**self.applied, str(pull_request): approval})

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": LOCK_VERSION,
            "shows": {key: show_entry(s) for key, s in self.shows.items()},
            "audio": {digest: entry(a) for digest, a in self.audio.items()},
            **(
                {"unconfirmed": {d: vars(u) for d, u in self.unconfirmed.items()}}
                if self.unconfirmed
                else {}
            ),
            **({"applied": {n: vars(a) for n, a in self.applied.items()}} if self.applied else {}),
            **(
                {"history": {d: [_drop_none(vars(a)) for a in h] for d, h in self.history.items()}}
                if self.history
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lock:
        shows = {
            key: LockedShow(
                show_id=s["show_id"],
                title=s["title"],
                description=s["description"],
                episodes={k: _episode(e) for k, e in s["episodes"].items()},
                protected=s.get("protected", False),
                retired=dict(s.get("retired", {})),
            )
            for key, s in data["shows"].items()
        }
        audio = {digest: CachedAudio(**a) for digest, a in data["audio"].items()}
        unconfirmed = {
            digest: UnconfirmedJob(**u) for digest, u in data.get("unconfirmed", {}).items()
        }
        applied = {n: AppliedApproval(**a) for n, a in data.get("applied", {}).items()}
        history = {
            digest: tuple(CachedAudio(**a) for a in jobs)
            for digest, jobs in data.get("history", {}).items()
        }
        return cls(
            shows=shows, audio=audio, unconfirmed=unconfirmed, applied=applied, history=history
        )


def _episode(data: dict[str, Any]) -> LockedEpisode:
    source = data.get("source")
    if source is None:
        return LockedEpisode(**data)
    return LockedEpisode(**{**data, "source": AppliedSource.from_dict(source)})


def show_entry(show: LockedShow) -> dict[str, Any]:
    """A show as the lock file holds it."""
    return _drop_none(
        {
            "show_id": show.show_id,
            "title": show.title,
            "description": show.description,
            "episodes": {k: entry(e) for k, e in show.episodes.items()},
            "protected": show.protected,
            **({"retired": dict(show.retired)} if show.retired else {}),
        }
    )


def entry(record: LockedEpisode | CachedAudio | UnconfirmedJob | AppliedApproval) -> dict[str, Any]:
    """An episode, audio job, unconfirmed submission or approval as the lock file holds it."""
    if isinstance(record, LockedEpisode) and record.source is not None:
        return _drop_none({**vars(record), "source": record.source.to_dict()})
    return _drop_none(vars(record))


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    """Unset fields are left out, `protected: false` too, so older locks stay byte-identical."""
    return {k: v for k, v in values.items() if v is not None and v is not False}


def serialize(lock: Lock) -> str:
    """Deterministic text: the same lock always gives the same bytes. Control and bidi
    characters (in an error message from the API, say) are written as escapes, so a diff of
    the lock in a review shows them rather than being reordered by them."""
    text = json.dumps(lock.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)
    return escape_json(text) + "\n"


def read_lock(path: Path) -> Lock:
    """Read the lock; a missing file is an empty lock (a fresh project).

    Anything else that is not a lock (truncated, not text, not JSON, the wrong shape) is a
    CorruptLock naming the file, and the line and column where it goes wrong, and saying how
    to recover. Never an empty lock: that would make apply create every show again."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Lock()
    except IsADirectoryError:
        raise _corrupt(f"{path}", "is a directory, not a lock file") from None
    except OSError as exc:
        raise LockError(f"{path}: cannot read the lock: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        bad = raw[exc.start : exc.start + 1].hex()
        problem = f"the lock is not UTF-8 text (byte 0x{bad})"
        raise _corrupt(f"{path}:{line}:{col}", problem) from None
    if not text.strip():
        raise _corrupt(f"{path}:1:1", "the lock is empty") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}"
        raise _corrupt(where, f"the lock is not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise _corrupt(f"{path}", "the lock is not valid JSON (nested too deeply)") from None
    except ValueError as exc:
        raise _corrupt(f"{path}", f"the lock is not valid JSON ({exc})") from None
    if isinstance(data, dict):
        lock_journal.replay(path, raw, data)  # the changes of a run that was killed
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > LOCK_VERSION:
        raise LockError(
            f"{path}: the lock was written by a newer podsync (lock version {version}; this one "
            f"reads version {LOCK_VERSION}): upgrade podsync"
        )
    # the full schema walk only for a lock the fast check refuses, to say what is wrong, where
    checked = matches_schema(data)
    error = None if checked else jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        raise _corrupt(
            f"{path}{_json_position(text, list(error.absolute_path))}",
            f"the lock does not match its schema at {where}: {message}",
        )
    lock = Lock.from_dict(data)
    try:
        if _SURROGATE_ESCAPE.search(text):  # only an escape can put one in valid UTF-8 text
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        problem = "the lock holds a string that is not valid Unicode (a lone surrogate)"
        raise _corrupt(f"{path}", problem) from None
    return lock


REBUILD_HINT = (
    "run `podsync lock rebuild` to rebuild it from the live account "
    f"(the unreadable file is kept as {LOCK_NAME}.corrupt-<time>)"
)


def _corrupt(where: str, problem: str) -> CorruptLock:
    return CorruptLock(f"{where}: {problem}. To recover, {REBUILD_HINT}")


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset, as an editor shows it."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _json_position(text: str, path: list[str | int]) -> str:
    """':LINE:COL' of the value at `path` in JSON text already known to be valid, or ''.

    Walks only the path, skipping siblings with the stdlib decoder, so it is linear and needs
    no recursion; with duplicate keys the last one counts, as in json.loads."""
    decoder = json.JSONDecoder()
    whitespace = " \t\n\r"

    def skip(i: int) -> int:
        while i < len(text) and text[i] in whitespace:
            i += 1
        return i

    i = skip(0)
    try:
        for step in path:
            opener = text[i]
            if opener not in "{[":
                return ""
            i, index = skip(i + 1), 0
            found: int | None = None
            key: str | int
            while text[i] not in "}]":
                if opener == "{":
                    key, i = decoder.raw_decode(text, i)
                    i = skip(skip(i) + 1)  # past the colon
                else:
                    key, index = index, index + 1
                if key == step:
                    found = i
                _, i = decoder.raw_decode(text, i)
                i = skip(i)
                if text[i] == ",":
                    i = skip(i + 1)
            if found is None:
                return ""
            i = found
    except (IndexError, ValueError, RecursionError):
        return ""
    line, column = text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)
    return f":{line}:{column}"


def write_lock(path: Path, lock: Lock) -> None:
    """Replace the lock atomically: temp file in the same directory, fsync, rename, fsync dir."""
    text = serialize(lock)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        os.fchmod(fd, _file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            half = len(text) // 2
            handle.write(text[:half])
            handle.flush()
            failpoints.reached("lock-written-half")
            handle.write(text[half:])
            handle.flush()
            os.fsync(handle.fileno())
        failpoints.reached("lock-renaming")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def remove_stale_temp_files(directory: Path) -> None:
    """Temp files left by a run killed mid-write; the lock itself is whole, these are litter."""
    for leftover in directory.glob(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _file_mode(path: Path) -> int:
    """The lock's current mode, or what a plainly created file gets (mkstemp's is 0600)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
                        mode = _file_mode(self.path)
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


_VALIDATOR: jsonschema.Draft202012Validator | None = None


def _validator() -> jsonschema.Draft202012Validator:
    global _VALIDATOR
    if _VALIDATOR is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        _VALIDATOR = SchemaValidator(schema)  # `$` in a pattern is the end: "e1\n" is no key
    return _VALIDATOR
