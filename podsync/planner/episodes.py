"""One show's episodes: keep, publish, adopt, rename, re-publish or remove each."""

from __future__ import annotations

from podsync.lock import LockedEpisode, LockedShow
from podsync.model import AUDIO_UNSUCCESSFUL, Episode, LiveEpisode, LiveShow, Safety, Show
from podsync.plan import AdoptEpisode, ForgetEpisode, GuardCode, Reason, Unmanaged
from podsync.planner.builder import _Builder
from podsync.planner.guards import _guard_mass_removal
from podsync.planner.renames import _episode_renames, _plan_episode_rename
from podsync.planner.republish import (
    _finish_republish,
    _plan_published,
    _plan_retired,
    _publishing,
    _removal,
    _republish,
    _unrecorded_republish,
)
from podsync.planner.warnings import _warn_about_duplicate_episodes, _warn_about_order


def _plan_episodes(
    b: _Builder,
    show: Show,
    locked: LockedShow | None,
    live_show: LiveShow | None,
    safety: Safety,
) -> None:
    locked_eps = locked.episodes if locked is not None else {}
    live_eps = {e.id: e for e in (live_show.episodes or ())} if live_show is not None else {}
    claimed = {e.episode_id for e in locked_eps.values() if e.episode_id in live_eps}
    kept: list[tuple[str, str]] = []  # (live episode id, key) of managed episodes left in place
    _plan_retired(b, show, locked, live_eps, claimed)
    renames = _episode_renames(show, locked_eps, live_eps)
    for position, episode in enumerate(show.episodes):
        recorded = locked_eps.get(episode.key)
        current = live_eps.get(recorded.episode_id) if recorded else None
        # Publishing and adopting write a fresh lock record, unprotected until apply records
        # the manifest's `protect:` on it.
        if recorded is not None and current is not None:
            added = _unrecorded_republish(b, show, episode, recorded, current, live_eps, claimed)
            if added is not None:
                claimed.add(added.id)
                kept.append((added.id, episode.key))
                _finish_republish(b, show, episode, position, added, current)
                b.record_protect(show.key, episode.key, episode.protect, False)
                continue
            if _plan_published(b, show, episode, position, recorded, current):
                b.record_protect(show.key, episode.key, episode.protect, False)
            else:
                kept.append((current.id, episode.key))
                b.record_protect(show.key, episode.key, episode.protect, recorded.protected)
            continue
        renamed = renames.get(episode.source.digest) if recorded is None else None
        if renamed is not None:
            old_key, old = renames.pop(episode.source.digest)
            if not _plan_episode_rename(b, show, episode, position, old_key, old, live_eps):
                kept.append((old.episode_id, episode.key))
            b.record_protect(show.key, episode.key, episode.protect, old.protected)
            continue
        adoptable = _adoptable(
            b, episode, live_eps, claimed, title_only=locked is None, recorded=recorded
        )
        if adoptable is not None:
            claimed.add(adoptable.id)
            if not _plan_adoption(b, show, episode, position, adoptable):
                kept.append((adoptable.id, episode.key))
            b.record_protect(show.key, episode.key, episode.protect, False)
            continue
        reason = Reason.DRIFT_REMOVED if recorded is not None else Reason.NEW
        b.need_audio(show, episode, recorded)
        b.episodes.append(_publishing(show, episode, position, reason))
        b.record_protect(show.key, episode.key, episode.protect, False)
    desired_keys = {e.key for e in show.episodes}
    moved = {
        c.renamed_from
        for c in b.episodes
        if isinstance(c, AdoptEpisode) and c.show == show.key and c.renamed_from
    }
    for key, recorded in sorted(locked_eps.items()):
        current = live_eps.get(recorded.episode_id)
        if key in desired_keys or key in moved:
            continue
        if current is None:
            b.forget.append(ForgetEpisode(show.key, key))
            continue
        if b.hold_back("remove_episode", show.key, key):
            continue
        if recorded.protected:
            b.guard(GuardCode.PROTECTED_REMOVED, show.key, key)
        b.removals.append(_removal(show, key, current, Reason.REMOVED_FROM_MANIFEST))
    for live_episode in live_eps.values():
        if live_episode.id not in claimed:
            b.unmanaged.append(Unmanaged(show.key, live_episode.id, live_episode.title))
    _warn_about_duplicate_episodes(b, show, live_eps, claimed)
    live_order = list(live_eps)
    if not b.live_read:  # the lock does not record the feed's order: assume the manifest's
        positions = {e.key: n for n, e in enumerate(show.episodes)}
        live_order = [i for i, _ in sorted(kept, key=lambda pair: positions[pair[1]])]
    _warn_about_order(b, show, live_order, kept)
    _guard_mass_removal(b, show.key, len(live_eps), safety)


def _plan_adoption(
    b: _Builder, show: Show, episode: Episode, position: int, live_episode: LiveEpisode
) -> bool:
    """Take a live episode under management as it is, then set its description right (True
    when that re-publishes it)."""
    b.episodes.append(
        AdoptEpisode(
            show.key,
            episode.key,
            Reason.SAME_TITLE,
            position,
            live_episode.title,
            live_episode.description,
            episode.source.digest,
            live_episode.id,
            live_episode.mic_id,
        )
    )
    reason = Reason.DESCRIPTION_DIFFERS
    if live_episode.description == episode.description or b.hold_back(
        "replace_episode", show.key, episode.key, reason=reason.value
    ):
        return False
    protected_by = "manifest" if episode.protect else None
    _republish(b, show, episode, position, live_episode, reason, True, protected_by)
    return True


def _adoptable(
    b: _Builder,
    episode: Episode,
    live_eps: dict[str, LiveEpisode],
    claimed: set[str],
    *,
    title_only: bool,
    recorded: LockedEpisode | None = None,
) -> LiveEpisode | None:
    """A live episode podsync has no live record of but that is evidently this one.

    Either its audio is the job the cache holds for this source, or the audio of the lock's own
    record for this very source (an add, or the add of a re-publish, whose answer was lost), or
    the whole show is unknown to the lock (adopted, or the lock was lost) and the title
    matches. In a show podsync manages, a same-titled episode it did not create is someone
    else's and is left alone. A cached job the account does not have counts for nothing."""
    cached = b.lock.audio.get(episode.source.digest)
    if cached is not None and b.live_audio.get(cached.mic_id) in AUDIO_UNSUCCESSFUL:
        cached = None
    own_mic = (
        recorded.mic_id
        if recorded is not None and recorded.digest == episode.source.digest
        else None
    )
    for live_episode in live_eps.values():
        if live_episode.id in claimed or live_episode.title != episode.title:
            continue
        if cached is not None and cached.succeeded and cached.mic_id == live_episode.mic_id:
            return live_episode
        if own_mic is not None and own_mic == live_episode.mic_id:
            return live_episode
        if cached is None and title_only:
            return live_episode
    return None
