"""What apply writes into the lock without sending a request (forgetting, protecting,
adopting), and which changes publish: shared by apply, preview, listen and lock rebuild."""

from __future__ import annotations

from podsync.lock import Lock, LockedEpisode, LockedShow, LockStore
from podsync.model import Live
from podsync.plan import (
    AddEpisode,
    AdoptEpisode,
    AdoptShow,
    ForgetEpisode,
    Plan,
    Publishing,
    ReplaceEpisode,
)


def forget_stale(store: LockStore, plan: Plan) -> None:
    """Drop lock entries for shows and episodes that left both the manifests and the account."""
    lock = store.lock
    for record in plan.forget:
        if record.show not in lock.shows:
            continue
        if isinstance(record, ForgetEpisode):
            lock = lock.without_episode(record.show, record.key)
        else:
            lock = lock.without_show(record.show)
    store.save(lock)


def forget_retired(store: LockStore, live: Live | None) -> None:
    """Drop the records of old versions of re-published episodes that the account no longer
    has: removed by a run that stopped before it could write so down (or by hand)."""
    if live is None or not live.read:
        return
    lock = store.lock
    for key, show in lock.shows.items():
        live_show = live.show(show.show_id)
        if not show.retired or live_show is None or live_show.episodes is None:
            continue
        listed = {e.id for e in live_show.episodes}
        for episode_id in show.retired:
            if episode_id not in listed:
                lock = lock.without_retired(key, episode_id)
    store.save(lock)


def record_protection(store: LockStore, plan: Plan) -> None:
    """Write the plan's `protect:` values into the lock records that exist by now (no request);
    apply calls it again after publishing, for the records publishing created."""
    lock = store.lock
    for show_key, episode_key, protected in plan.protect:
        lock = lock.with_protection(show_key, episode_key, protected)
    store.save(lock)


def protected_keys(lock: Lock, plan: Plan | None = None) -> frozenset[tuple[str, str | None]]:
    """(show, None) and (show, episode) for everything protected in the lock or by the plan."""
    keys = {(s, e) for s, e, protected in (plan.protect if plan else ()) if protected}
    for key, show in lock.shows.items():
        if show.protected:
            keys.add((key, None))
        keys.update((key, k) for k, e in show.episodes.items() if e.protected)
    return frozenset(keys)


def publishing_new_audio(plan: Plan) -> list[Publishing]:
    """The adds and replaces that publish audio of their own (not the live episode's audio
    again): the episodes whose audio apply waits on, and a preview makes."""
    return [c for c in publishing(plan) if not c.republish]


def publishing(plan: Plan) -> list[Publishing]:
    return [c for c in plan.episodes if isinstance(c, (AddEpisode, ReplaceEpisode))]


def adopt_show(lock: Lock, change: AdoptShow) -> Lock:
    """The lock with an adopted live show under its key; on a key rename the entry (and its
    episodes) moves from the old key. No request: adopting only records what exists."""
    if change.renamed_from is not None and change.renamed_from in lock.shows:
        moved = lock.shows[change.renamed_from]
        lock = lock.without_show(change.renamed_from).with_show(change.key, moved)
    recorded = lock.shows.get(change.key)
    if recorded is None or recorded.show_id != change.show_id:
        recorded = LockedShow(change.show_id, change.title, change.description)
    return lock.with_show(change.key, recorded)


def adopt_episode(lock: Lock, change: AdoptEpisode) -> Lock:
    """The lock with an adopted live episode recorded under its show, which must be in it.

    The live values are recorded; the audio cache is not filled, since nothing proves that this
    episode's audio was made from this source."""
    old_key = change.renamed_from
    moved = lock.shows[change.show].episodes.get(old_key) if old_key is not None else None
    if old_key is not None and moved is not None and moved.episode_id == change.episode_id:
        # A key rename: the record moves whole, in one lock write, last-applied values and all.
        lock = lock.without_episode(change.show, old_key)
        return lock.with_episode(change.show, change.key, moved)
    episode = LockedEpisode(
        change.episode_id, change.mic_id, change.digest, change.title, change.description
    )
    return lock.with_episode(change.show, change.key, episode)
