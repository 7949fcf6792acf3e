"""`podsync status`: what podsync manages in the account now, and what it does not.

The shows podsync.lock records, each as the account lists it (live id, feed, episodes), and the
account's other shows, which `show_id:` could adopt. It only reads: one listing of the shows and
one of the episodes of each managed show, GET requests alone, no manifest needed (a project
whose manifests do not validate yet can still ask where it stands).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from podsync.client import ZenMicClient
from podsync.endpoint import api_endpoint, local_feed
from podsync.errors import ConfigError
from podsync.live import read_live
from podsync.lock import LOCK_NAME, Lock, read_lock
from podsync.model import Live


@dataclass(frozen=True)
class ManagedShow:
    """A show in podsync.lock; `live` False when the account no longer has it (drift: the
    next plan creates it again)."""

    key: str
    show_id: str
    title: str
    live: bool
    feed_url: str | None
    episodes: int | None  # live episodes; None when the show is gone
    managed_episodes: int  # those podsync.lock records


@dataclass(frozen=True)
class OtherShow:
    """A live show podsync.lock does not name."""

    show_id: str
    title: str
    feed_url: str | None
    episodes: int | None  # as the listing counts them (None: not said)


@dataclass(frozen=True)
class Status:
    managed: tuple[ManagedShow, ...]
    unmanaged: tuple[OtherShow, ...]
    last_apply: datetime | None  # when podsync.lock was last written; None: never applied


def project_status(project: Path, *, concurrency: int = 8) -> Status:
    """Read podsync.lock and the account (GET requests only)."""
    if not any((project / name).exists() for name in ("shows", "podsync.yaml", LOCK_NAME)):
        raise ConfigError(
            f"{project} is not a podsync project: it has no shows/ folder, podsync.yaml or "
            f"{LOCK_NAME} (run podsync in your project folder, or name it: podsync status DIR)"
        )
    lock_path = project / LOCK_NAME
    lock = read_lock(lock_path)
    managed_ids = {show.show_id for show in lock.shows.values()}
    with api_endpoint(project) as endpoint:

        async def run() -> Live:
            async with ZenMicClient(endpoint.url, endpoint.api_key) as client:
                return await read_live(client, managed_ids, concurrency=concurrency)

        live = asyncio.run(run())
    shows = tuple(
        replace(s, feed_url=local_feed(project, s.show_id) or s.feed_url) for s in live.shows
    )
    return build_status(lock, replace(live, shows=shows), _written(lock_path))


def build_status(lock: Lock, live: Live, last_apply: datetime | None) -> Status:
    by_id = {show.show_id: show for show in live.shows}
    managed = []
    for key, locked in sorted(lock.shows.items()):
        found = by_id.get(locked.show_id)
        managed.append(
            ManagedShow(
                key=key,
                show_id=locked.show_id,
                title=found.title if found is not None else locked.title,
                live=found is not None,
                feed_url=found.feed_url if found is not None else None,
                episodes=len(found.episodes or ()) if found is not None else None,
                managed_episodes=len(locked.episodes),
            )
        )
    known = {show.show_id for show in lock.shows.values()}
    others = tuple(
        OtherShow(show.show_id, show.title, show.feed_url, show.episode_count)
        for show in live.shows
        if show.show_id not in known
    )
    return Status(tuple(managed), others, last_apply)


def _written(lock_path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(lock_path.stat().st_mtime, timezone.utc)
    except FileNotFoundError:
        return None
