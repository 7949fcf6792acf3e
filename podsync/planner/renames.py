"""Key renames: a show or episode key changed in the manifest keeps its live show or episode."""

from __future__ import annotations

from collections.abc import Mapping

from podsync.errors import PlanError
from podsync.lock import Lock, LockedEpisode, LockedShow
from podsync.model import Desired, Episode, LiveEpisode, Show
from podsync.plan import AdoptEpisode, Reason
from podsync.planner.builder import _Builder
from podsync.planner.reasons import _differing, _why_changed
from podsync.planner.republish import _republish


def _renames(desired: Desired, lock: Lock, desired_keys: set[str]) -> dict[str, str]:
    """New show key -> the lock key it replaces: a key changed in the manifest is a rename (the
    show keeps its id, feed and episodes), not a delete plus a create.

    An explicit show_id names its lock entry outright. Otherwise the orphaned entry must carry
    the same title podsync last applied, and must not lose to another orphan that shares
    episode keys with the show: a wrong rename would send one show's episodes to another's
    subscribers, which is worse than the delete that --allow-destroy guards."""
    renames: dict[str, str] = {}
    for show in desired.shows:
        owner = _show_id_owner(show, lock, desired_keys) if show.show_id else None
        if owner is not None:
            renames[show.key] = owner
    _add_title_renames(desired, lock, desired_keys, renames)
    return renames


def _add_title_renames(
    desired: Desired, lock: Lock, desired_keys: set[str], renames: dict[str, str]
) -> None:
    """Add the renames found by title, for shows with no show_id and no lock entry of their
    own, among the orphaned entries no explicit show_id names and no rename took yet."""
    explicit = {s.show_id for s in desired.shows if s.show_id}
    orphans = {
        k: v for k, v in lock.shows.items() if k not in desired_keys and v.show_id not in explicit
    }
    for show in desired.shows:
        if show.show_id or show.key in lock.shows:
            continue
        pool = {k: v for k, v in orphans.items() if k not in renames.values()}
        source = _renamed_by_title(show, pool)
        if source is not None:
            renames[show.key] = source


def _show_id_owner(show: Show, lock: Lock, desired_keys: set[str]) -> str | None:
    """The lock key that records this show's explicit show_id under another key, when the
    show_id moves to this show; a show_id another manifest still manages is refused."""
    owners = [k for k, v in lock.shows.items() if v.show_id == show.show_id and k != show.key]
    taken = [k for k in owners if k in desired_keys]
    if taken:
        raise PlanError(
            f"{show.location or show.key}: show_id '{show.show_id}' is managed by show "
            f"'{taken[0]}' already; one live show can belong to one manifest only"
        )
    own = lock.shows.get(show.key)
    if owners and (own is None or own.show_id != show.show_id):
        return owners[0]
    return None


def _renamed_by_title(show: Show, pool: Mapping[str, LockedShow]) -> str | None:
    """The one orphaned lock entry with the show's last-applied title, unless another orphan
    shares episode keys with the show and this one does not."""
    keys = {e.key for e in show.episodes}
    sharing = {k for k, v in pool.items() if keys & set(v.episodes)}
    titled = [k for k, v in pool.items() if v.title == show.title]
    if len(titled) == 1 and (not sharing or titled[0] in sharing):
        return titled[0]
    return None


def _source_entry(show: Show, lock: Lock, renames: Mapping[str, str]) -> LockedShow | None:
    """The lock entry that describes this show: the one it was renamed from, or its own."""
    source = renames.get(show.key)
    return lock.shows[source] if source else lock.shows.get(show.key)


def _episode_renames(
    show: Show, locked_eps: Mapping[str, LockedEpisode], live_eps: Mapping[str, LiveEpisode]
) -> dict[str, tuple[str, LockedEpisode]]:
    """Lock records whose key left the manifest while a new key has exactly their source: the
    key was renamed. Keyed by digest; a digest shared by several such records or several new
    keys is no evidence, so it is left to the usual remove + add."""
    desired = {e.key for e in show.episodes}
    gone = [
        (key, r) for key, r in locked_eps.items() if key not in desired and r.episode_id in live_eps
    ]
    new = [e.source.digest for e in show.episodes if e.key not in locked_eps]
    renames = {}
    for key, record in gone:
        same = [k for k, r in gone if r.digest == record.digest]
        if len(same) == 1 and new.count(record.digest) == 1:
            renames[record.digest] = (key, record)
    return renames


def _plan_episode_rename(
    b: _Builder,
    show: Show,
    episode: Episode,
    position: int,
    old_key: str,
    old: LockedEpisode,
    live_eps: Mapping[str, LiveEpisode],
) -> bool:
    """Keep the live episode under its new key (no request), then set title and description
    right; True when that re-publishes it."""
    current = live_eps[old.episode_id]
    b.episodes.append(
        AdoptEpisode(
            show.key,
            episode.key,
            Reason.RENAMED,
            position,
            current.title,
            current.description,
            episode.source.digest,
            current.id,
            current.mic_id,
            renamed_from=old_key,
        )
    )
    before = _differing(current, episode)
    if not before:
        return False
    reason = _why_changed(before, old, episode)
    if b.hold_back("replace_episode", show.key, episode.key, reason=reason.value):
        return False
    protected_by = "manifest" if episode.protect else "lock" if old.protected else None
    _republish(b, show, episode, position, current, reason, True, protected_by)
    return True
