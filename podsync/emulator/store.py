"""The emulator's state: audio jobs, shows and episodes, kept in memory and mirrored to disk.

Every mutation is appended to ``state_dir/state.journal`` (one line: its cost is what changed, not
the account's size), and ``state_dir/state.json`` is rewritten whole, atomically (temporary file +
``os.replace``), when the journal outgrows it, when the store is closed (the server stops) and
when a restarted emulator replays a journal (see state_journal.py). So a crash never leaves a
torn state (a half-written last journal line is ignored) and a restarted emulator carries on
where it stopped: jobs keep their wall-clock ``created_at`` and finish on time, shows keep their
ids, counters never reuse an id. Reads are served from memory only, because listing many shows
must stay cheap.

One process owns a state directory at a time; two emulators on the same directory would overwrite
each other's writes (last writer wins).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import string
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from podsync.emulator import state_journal
from podsync.errors import StateError
from podsync.lock_journal import base_of

STATE_FILE = "state.json"
STATE_VERSION = 1
_ID_ALPHABET = string.ascii_lowercase + string.digits


class NotFound(Exception):
    """A show, episode or audio job that does not exist (the API answers 404)."""


class _Record:
    """A stored row that serialises itself once: its journal line, and every later rewrite of
    state.json, then cost a string join instead of re-encoding thousands of unchanged rows."""

    @cached_property
    def encoded(self) -> str:
        row = asdict(self)  # type: ignore[call-overload]
        text = json.dumps(row, separators=(",", ":"), ensure_ascii=False)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate a client sent: kept, as an escape
                text = json.dumps(row, separators=(",", ":"))
        return text


@dataclass(frozen=True)
class AudioJob(_Record):
    """One accepted audio request; its status is derived from ``created_at`` and ``seconds``."""

    id: str
    title: str
    created_at: float
    seconds: float
    failure: str | None = None


@dataclass(frozen=True)
class ShowRecord(_Record):
    id: int
    show_id: str
    title: str
    description: str
    created_at: float


@dataclass(frozen=True)
class EpisodeRecord(_Record):
    id: int
    show_id: str
    mic_id: str
    title: str
    description: str
    created_at: float


class Store:
    """Thread-safe state of one emulated ZenMic account, persisted under ``state_dir``."""

    def __init__(
        self,
        state_dir: Path,
        *,
        job_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if job_seconds < 0:
            raise ValueError("job_seconds must not be negative")
        self.state_dir = Path(state_dir)
        self.job_seconds = float(job_seconds)
        self.clock = clock
        self._lock = threading.RLock()
        self._audios: dict[str, AudioJob] = {}
        self._shows: dict[str, ShowRecord] = {}
        self._episodes: dict[str, list[EpisodeRecord]] = {}
        self._next_show_id = 1
        self._next_episode_id = 1
        self._journal: state_journal.JournalFile | None = None
        # the state.json beside the journal: its digest and size (None: write it whole next)
        self._base: str | None = None
        self._state_size = 0
        self._load()

    @property
    def path(self) -> Path:
        return self.state_dir / STATE_FILE

    @property
    def journal_path(self) -> Path:
        return self.state_dir / state_journal.JOURNAL_FILE

    def close(self) -> None:
        """Compact: state.json written whole and the journal removed, so that a stopped emulator
        leaves one file. The store stays usable (a later mutation starts a new journal)."""
        with self._lock:
            if self._journal is not None or self.journal_path.exists():
                self._compact()

    def now(self) -> float:
        return self.clock()

    def create_audio(self, title: str, *, failure: str | None = None) -> AudioJob:
        with self._lock:
            job = AudioJob(
                id=_unique_id(8, self._audios),
                title=title,
                created_at=self.now(),
                seconds=self.job_seconds,
                failure=failure,
            )
            self._audios[job.id] = job
            self._log_row("audio", job)
            return job

    def get_audio(self, audio_id: str) -> AudioJob:
        with self._lock:
            job = self._audios.get(audio_id)
        if job is None:
            raise NotFound(f"audio not found: {audio_id}")
        return job

    def list_shows(self) -> list[ShowRecord]:
        with self._lock:
            return list(self._shows.values())

    def get_show(self, show_id: str) -> ShowRecord:
        with self._lock:
            show = self._shows.get(show_id)
        if show is None:
            raise NotFound(f"podcast not found: {show_id}")
        return show

    def episode_count(self, show_id: str) -> int:
        with self._lock:
            return len(self._episodes.get(show_id, ()))

    def counts(self) -> dict[str, int]:
        with self._lock:
            episodes = sum(len(e) for e in self._episodes.values())
            return {"audios": len(self._audios), "shows": len(self._shows), "episodes": episodes}

    def create_show(self, title: str, description: str) -> ShowRecord:
        with self._lock:
            show = ShowRecord(
                id=self._next_show_id,
                show_id=_show_id(title, self._shows),
                title=title,
                description=description,
                created_at=self.now(),
            )
            self._next_show_id += 1
            self._shows[show.show_id] = show
            self._episodes[show.show_id] = []
            self._log_row("show", show)
            return show

    def update_show(
        self, show_id: str, *, title: str | None = None, description: str | None = None
    ) -> ShowRecord:
        with self._lock:
            show = self.get_show(show_id)
            show = replace(
                show,
                title=show.title if title is None else title,
                description=show.description if description is None else description,
            )
            self._shows[show_id] = show
            self._log_row("show", show)
            return show

    def delete_show(self, show_id: str) -> None:
        with self._lock:
            self.get_show(show_id)
            del self._shows[show_id]
            self._episodes.pop(show_id, None)
            self._log(["del_show", show_id])

    def list_episodes(self, show_id: str) -> list[EpisodeRecord]:
        with self._lock:
            self.get_show(show_id)
            return list(self._episodes[show_id])

    def add_episode(
        self, show_id: str, *, mic_id: str, title: str, description: str
    ) -> EpisodeRecord:
        """Append an episode; whether ``mic_id``'s job has finished is the caller's rule (jobs.py
        owns timing), the store only insists that both show and job exist."""
        with self._lock:
            self.get_show(show_id)
            self.get_audio(mic_id)
            episode = EpisodeRecord(
                id=self._next_episode_id,
                show_id=show_id,
                mic_id=mic_id,
                title=title,
                description=description,
                created_at=self.now(),
            )
            self._next_episode_id += 1
            self._episodes[show_id].append(episode)
            self._log_row("episode", episode)
            return episode

    def delete_episode(self, show_id: str, episode_id: int) -> None:
        with self._lock:
            episodes = [e for e in self.list_episodes(show_id) if e.id != episode_id]
            if len(episodes) == len(self._episodes[show_id]):
                raise NotFound(f"episode not found: {episode_id} in podcast {show_id}")
            self._episodes[show_id] = episodes
            self._log(["del_episode", show_id, episode_id])

    def reset(self) -> None:
        """Forget everything, counters included, as if the account were brand new."""
        with self._lock:
            self._audios.clear()
            self._shows.clear()
            self._episodes.clear()
            self._next_show_id = 1
            self._next_episode_id = 1
            self._compact()

    def _encode(self) -> str:
        audios = ",".join(a.encoded for a in self._audios.values())
        shows = ",".join(s.encoded for s in self._shows.values())
        episodes = ",".join(e.encoded for eps in self._episodes.values() for e in eps)
        return (
            f'{{"version":{STATE_VERSION},"next_show_id":{self._next_show_id},'
            f'"next_episode_id":{self._next_episode_id},'
            f'"audios":[{audios}],"shows":[{shows}],"episodes":[{episodes}]}}'
        )

    def _log_row(self, kind: str, row: _Record) -> None:
        self._append(f'["{kind}",{row.encoded}]\n'.encode())

    def _log(self, op: list[Any]) -> None:
        self._append(json.dumps(op, separators=(",", ":")).encode("ascii") + b"\n")

    def _append(self, line: bytes) -> None:
        """Journal one mutation; or write the state whole, when there is no state.json this
        store knows yet or the journal would outgrow it (the journal's cost then stays in
        proportion to what changed). After a failed write the next one is whole, so that
        nothing is appended after a torn line (which a reader ignores only at the end)."""
        try:
            journal = self._journal
            size = journal.size if journal is not None else state_journal.HEADER_SIZE
            if self._base is None or size + len(line) > self._state_size:
                self._compact()
            else:
                if journal is None:
                    journal = state_journal.JournalFile(self.journal_path, self._base)
                    self._journal = journal
                journal.append(line)
        except BaseException:
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            self._base = None
            raise

    def _compact(self) -> None:
        """Write state.json whole (atomically), then drop the journal it now holds."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = self._encode().encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=self.state_dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            self._base = None
            raise
        self._base, self._state_size = base_of(data), len(data)
        if self._journal is not None:
            self._journal.remove()
            self._journal = None
        else:
            self.journal_path.unlink(missing_ok=True)

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            raw = self.path.read_bytes()
            data = json.loads(raw.decode("utf-8"))
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"unsupported version {data.get('version')!r}")
            audios = [AudioJob(**a) for a in data["audios"]]
            shows = [ShowRecord(**s) for s in data["shows"]]
            episodes = [EpisodeRecord(**e) for e in data["episodes"]]
            next_show_id = int(data["next_show_id"])
            next_episode_id = int(data["next_episode_id"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateError(f"cannot read emulator state {self.path}: {exc}") from None
        self._audios = {a.id: a for a in audios}
        self._shows = {s.show_id: s for s in shows}
        self._episodes = {s.show_id: [] for s in shows}
        for episode in episodes:
            self._episodes.setdefault(episode.show_id, []).append(episode)
        self._next_show_id = next_show_id
        self._next_episode_id = next_episode_id
        self._base, self._state_size = base_of(raw), len(raw)
        ops = state_journal.read(self.journal_path, raw)
        for number, op in enumerate(ops, start=2):
            try:
                self._replay(op)
            except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
                raise StateError(
                    f"cannot read emulator state {self.journal_path}:{number}: {exc}"
                ) from None
        if self.journal_path.exists():
            # never append after a line a killed process may have torn; a directory that
            # cannot be written now fails the first mutation instead, as it always did
            with contextlib.suppress(OSError):
                self._compact()

    def _replay(self, op: list[Any]) -> None:
        """One journalled mutation, done again as the method that logged it did it."""
        kind = op[0]
        if kind == "audio":
            job = AudioJob(**op[1])
            self._audios[job.id] = job
        elif kind == "show":
            show = ShowRecord(**op[1])
            if show.show_id not in self._shows:
                self._episodes[show.show_id] = []
                self._next_show_id = max(self._next_show_id, show.id + 1)
            self._shows[show.show_id] = show
        elif kind == "del_show":
            del self._shows[op[1]]
            self._episodes.pop(op[1], None)
        elif kind == "episode":
            episode = EpisodeRecord(**op[1])
            self._episodes[episode.show_id].append(episode)
            self._next_episode_id = max(self._next_episode_id, episode.id + 1)
        elif kind == "del_episode":
            show_id, episode_id = op[1], op[2]
            self._episodes[show_id] = [e for e in self._episodes[show_id] if e.id != episode_id]
        else:
            raise ValueError(f"unknown mutation {kind!r}")


def _unique_id(length: int, taken: dict[str, Any], prefix: str = "") -> str:
    while True:
        candidate = prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))
        if candidate not in taken:
            return candidate


def _show_id(title: str, taken: dict[str, Any]) -> str:
    """``myp-abc123`` for "My Podcast": three letters of the title, then six random ones."""
    letters = re.sub(r"[^a-z0-9]", "", title.lower())[:3].ljust(3, "x")
    return _unique_id(6, taken, prefix=f"{letters}-")
