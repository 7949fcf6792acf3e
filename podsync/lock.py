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
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema

import podsync
from podsync import failpoints
from podsync.errors import LockError
from podsync.model import AUDIO_SUCCEEDED, AUDIO_UNSUCCESSFUL

LOCK_NAME = "podsync.lock"
TEMP_PREFIX = ".podsync.lock."
LOCK_VERSION = 1
SCHEMA_PATH = Path(podsync.__file__).parent / "schemas" / "lock.schema.json"


@dataclass(frozen=True)
class LockedEpisode:
    """A live episode podsync published, and what it published it with."""

    episode_id: str
    mic_id: str
    digest: str
    title: str
    description: str


@dataclass(frozen=True)
class LockedShow:
    """A live show podsync manages; title/description are the values it last applied."""

    show_id: str
    title: str
    description: str
    episodes: dict[str, LockedEpisode] = field(default_factory=dict)


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
class Lock:
    """Immutable: every `with_*` returns a new Lock, so the planner can trust its input."""

    shows: dict[str, LockedShow] = field(default_factory=dict)
    audio: dict[str, CachedAudio] = field(default_factory=dict)

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

    def with_audio(self, digest: str, audio: CachedAudio) -> Lock:
        return replace(self, audio={**self.audio, digest: audio})

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": LOCK_VERSION,
            "shows": {
                key: {
                    "show_id": s.show_id,
                    "title": s.title,
                    "description": s.description,
                    "episodes": {k: _drop_none(vars(e)) for k, e in s.episodes.items()},
                }
                for key, s in self.shows.items()
            },
            "audio": {digest: _drop_none(vars(a)) for digest, a in self.audio.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lock:
        shows = {
            key: LockedShow(
                show_id=s["show_id"],
                title=s["title"],
                description=s["description"],
                episodes={k: LockedEpisode(**e) for k, e in s["episodes"].items()},
            )
            for key, s in data["shows"].items()
        }
        audio = {digest: CachedAudio(**a) for digest, a in data["audio"].items()}
        return cls(shows=shows, audio=audio)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def serialize(lock: Lock) -> str:
    """Deterministic text: the same lock always gives the same bytes."""
    return json.dumps(lock.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_lock(path: Path) -> Lock:
    """Read the lock; a missing file is an empty lock (a fresh project)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock()
    except (OSError, UnicodeDecodeError) as exc:
        raise LockError(f"{path}: cannot read the lock: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(
            f"{path}:{exc.lineno}:{exc.colno}: the lock is not valid JSON ({exc.msg}). "
            "Restore it from git (git checkout -- podsync.lock); podsync never edits it by hand."
        ) from None
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise LockError(
            f"{path}: the lock does not match its schema at {where}: {error.message}. "
            "Restore it from git (git checkout -- podsync.lock)."
        )
    return Lock.from_dict(data)


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
    """The executor's handle on the lock: every change is written to disk before it returns,
    so a run killed at any point leaves a lock that describes what really happened."""

    def __init__(self, path: Path, lock: Lock):
        self.path = path
        self.lock = lock
        remove_stale_temp_files(path.parent)

    def save(self, lock: Lock) -> None:
        if lock == self.lock:
            return
        write_lock(self.path, lock)
        self.lock = lock


_VALIDATOR: jsonschema.Draft202012Validator | None = None


def _validator() -> jsonschema.Draft202012Validator:
    global _VALIDATOR
    if _VALIDATOR is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        _VALIDATOR = jsonschema.Draft202012Validator(schema)
    return _VALIDATOR
