"""`podsync lock rebuild`: a new podsync.lock from the live account, when the old one is corrupt
or lost.

Rebuilding is adoption and nothing else. Given the manifests, an empty lock and the account, the
planner adopts every live show that a manifest names (by show_id or by title) and every live
episode of it whose title matches; those adoptions are recorded exactly as apply records them,
and no request that changes the account is sent. Whatever has no live match is left for the next
apply to create. Audio jobs that were submitted but never published cannot be found again, since
ZenMic has no way to list jobs: the next apply pays for those once more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from podsync.client import ZenMicClient
from podsync.errors import CorruptLock, LockError, PodsyncError
from podsync.executor import adopt_episode, adopt_show
from podsync.lock import LOCK_NAME, Lock, read_lock, write_lock
from podsync.model import Desired
from podsync.workflow import Inputs, make_plan


@dataclass(frozen=True)
class Rebuilt:
    """The recovered lock, and what the manifests want that the account does not have."""

    lock: Lock
    missing_shows: tuple[str, ...]  # show keys the next apply creates
    missing_episodes: tuple[str, ...]  # "show/episode" the next apply publishes

    @property
    def episodes(self) -> int:
        return sum(len(s.episodes) for s in self.lock.shows.values())


def set_aside_label(path: Path, *, force: bool) -> str | None:
    """How the current lock will be kept: "corrupt" if it cannot be read as a lock, "old" if it
    reads fine (only with --force), None if there is none. Refuse to replace a good lock."""
    try:
        read_lock(path)
    except CorruptLock:
        return "corrupt"
    except LockError:
        if force:
            return "old"
        raise
    if not os.path.lexists(path):
        return None
    if not force:
        raise PodsyncError(
            f"{path} reads fine, so there is nothing to rebuild; to replace it anyway with a lock "
            f"rebuilt from the live account, pass --force (it is kept as {LOCK_NAME}.old-<time>)"
        )
    return "old"


async def rebuild_lock(desired: Desired, client: ZenMicClient, *, concurrency: int = 8) -> Rebuilt:
    """Plan against an empty lock and keep only the adoptions: reads, never writes, the API."""
    planned = await make_plan(
        Inputs(desired, Lock(), Path(LOCK_NAME)), client, concurrency=concurrency
    )
    lock = Lock()
    for show in planned.plan.shows:
        if show.action == "adopt":
            lock = adopt_show(lock, show)
    for episode in planned.plan.episodes:
        if episode.action == "adopt" and episode.show in lock.shows:
            lock = adopt_episode(lock, episode)
    return Rebuilt(
        lock,
        tuple(c.key for c in planned.plan.shows if c.action == "create"),
        tuple(f"{c.show}/{c.key}" for c in planned.plan.episodes if c.action == "add"),
    )


def install_lock(path: Path, lock: Lock, set_aside: str | None) -> Path | None:
    """Move the current lock (file or whatever else is there) aside, then write the new one
    atomically; return where the old one went."""
    kept = None
    if set_aside is not None and os.path.lexists(path):
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = path.with_name(f"{path.name}.{set_aside}-{stamp}")
        n = 1
        while os.path.lexists(kept):
            n += 1
            kept = path.with_name(f"{path.name}.{set_aside}-{stamp}-{n}")
        try:
            os.rename(path, kept)
        except OSError as exc:
            raise PodsyncError(f"{path}: cannot move it aside to {kept.name}: {exc}") from None
    try:
        write_lock(path, lock)
    except OSError as exc:
        raise PodsyncError(f"{path}: cannot write the rebuilt lock: {exc}") from None
    return kept


def summary(rebuilt: Rebuilt, path: Path, kept: Path | None) -> list[str]:
    """What was recovered and what was not, for the person who ran the command."""
    shows = _count(len(rebuilt.lock.shows), "show")
    lines = [
        f"Rebuilt {path} from the live account: {shows} and "
        f"{_count(rebuilt.episodes, 'episode')} recovered (no change was made to the account)."
    ]
    if kept is not None:
        lines.append(f"The previous lock is kept as {kept}.")
    missing = [f"  show {k}" for k in rebuilt.missing_shows]
    missing += [f"  episode {k}" for k in rebuilt.missing_episodes]
    if missing:
        lines.append("Not found in the account, so the next apply creates them:")
        lines.extend(missing)
    if rebuilt.missing_episodes:
        lines.append(
            "Audio jobs that were submitted but not yet published cannot be recovered (ZenMic "
            "cannot list jobs): the next apply submits them again."
        )
    lines.append("Run `podsync plan` to see what the next apply would do.")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
