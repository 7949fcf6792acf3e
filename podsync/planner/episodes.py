"""One show's episodes: keep, publish, adopt, rename, re-publish or remove each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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


@dataclass
class _ShowEpisodes:
    """One show's episodes while they are planned: the lock's records and the live listing,
    the live episodes already spoken for (`claimed`), the managed ones left in place (`kept`,
    as live id and key) and the key renames not yet used."""

    show: Show
    locked: LockedShow | None
    locked_eps: Mapping[str, LockedEpisode]
    live_eps: dict[str, LiveEpisode]
    claimed: set[str]
    renames: dict[str, tuple[str, LockedEpisode]]
    moved: set[str] = field(default_factory=set)  # old keys of renamed episodes
    kept: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, show: Show, locked: LockedShow | None, live_show: LiveShow | None) -> _ShowEpisodes:
        locked_eps = locked.episodes if locked is not None else {}
        live_eps = {e.id: e for e in (live_show.episodes or ())} if live_show is not None else {}
        claimed = {e.episode_id for e in locked_eps.values() if e.episode_id in live_eps}
        renames = _episode_renames(show, locked_eps, live_eps)
        return cls(show, locked, locked_eps, live_eps, claimed, renames)

    def keep(self, episode_id: str, key: str) -> None:
        self.kept.append((episode_id, key))


def _plan_episodes(
    b: _Builder,
    show: Show,
    locked: LockedShow | None,
    live_show: LiveShow | None,
    safety: Safety,
) -> None:
    s = _ShowEpisodes.of(show, locked, live_show)
    _plan_retired(b, show, locked, s.live_eps, s.claimed)
    for position, episode in enumerate(show.episodes):
        _plan_episode(b, s, position, episode)
    _plan_removals(b, s)
    b.unmanaged.extend(
        Unmanaged(show.key, e.id, e.title) for e in s.live_eps.values() if e.id not in s.claimed
    )
    _warn_about_duplicate_episodes(b, show, s.live_eps, s.claimed)
    _warn_about_order(b, show, _live_order(b, s), s.kept)
    _guard_mass_removal(b, show.key, len(s.live_eps), safety)


def _plan_episode(b: _Builder, s: _ShowEpisodes, position: int, episode: Episode) -> None:
    """Keep, publish, adopt, rename or re-publish one manifest episode. Publishing and adopting
    write a fresh lock record, unprotected until apply records the manifest's `protect:` on it;
    a record kept in place (or moved to a new key) keeps its own."""
    recorded = s.locked_eps.get(episode.key)
    current = s.live_eps.get(recorded.episode_id) if recorded else None
    if recorded is not None and current is not None:
        protected = _plan_recorded(b, s, position, episode, recorded, current)
    elif recorded is None and episode.source.digest in s.renames:
        protected = _plan_renamed(b, s, position, episode)
    else:
        protected = _plan_unrecorded(b, s, position, episode, recorded)
    b.record_protect(s.show.key, episode.key, episode.protect, protected)


def _plan_recorded(
    b: _Builder,
    s: _ShowEpisodes,
    position: int,
    episode: Episode,
    recorded: LockedEpisode,
    current: LiveEpisode,
) -> bool:
    """An episode the lock records and the account still has; True when its record stays."""
    added = _unrecorded_republish(b, s.show, episode, recorded, current, s.live_eps, s.claimed)
    if added is not None:
        s.claimed.add(added.id)
        s.keep(added.id, episode.key)
        _finish_republish(b, s.show, episode, position, added, current)
        return False
    if _plan_published(b, s.show, episode, position, recorded, current):
        return False
    s.keep(current.id, episode.key)
    return recorded.protected


def _plan_renamed(b: _Builder, s: _ShowEpisodes, position: int, episode: Episode) -> bool:
    """A new key with exactly the source of a record whose key left the manifest."""
    old_key, old = s.renames.pop(episode.source.digest)
    s.moved.add(old_key)
    if not _plan_episode_rename(b, s.show, episode, position, old_key, old, s.live_eps):
        s.keep(old.episode_id, episode.key)
    return old.protected


def _plan_unrecorded(
    b: _Builder,
    s: _ShowEpisodes,
    position: int,
    episode: Episode,
    recorded: LockedEpisode | None,
) -> bool:
    """An episode with no live record: adopt the live one that is evidently it, or publish it
    (new, or drift: removed outside podsync)."""
    adoptable = _adoptable(
        b, episode, s.live_eps, s.claimed, title_only=s.locked is None, recorded=recorded
    )
    if adoptable is not None:
        s.claimed.add(adoptable.id)
        if not _plan_adoption(b, s.show, episode, position, adoptable):
            s.keep(adoptable.id, episode.key)
        return False
    reason = Reason.DRIFT_REMOVED if recorded is not None else Reason.NEW
    b.need_audio(s.show, episode, recorded)
    b.episodes.append(_publishing(s.show, episode, position, reason))
    return False


def _plan_removals(b: _Builder, s: _ShowEpisodes) -> None:
    """Remove what left the manifest and is still live; forget what left both."""
    desired_keys = {e.key for e in s.show.episodes}
    for key, recorded in sorted(s.locked_eps.items()):
        if key in desired_keys or key in s.moved:
            continue
        current = s.live_eps.get(recorded.episode_id)
        if current is None:
            b.forget.append(ForgetEpisode(s.show.key, key))
            continue
        if b.hold_back("remove_episode", s.show.key, key):
            continue
        if recorded.protected:
            b.guard(GuardCode.PROTECTED_REMOVED, s.show.key, key)
        b.removals.append(_removal(s.show, key, current, Reason.REMOVED_FROM_MANIFEST))


def _live_order(b: _Builder, s: _ShowEpisodes) -> list[str]:
    """The feed's order now; offline the lock does not record it, so assume the manifest's."""
    if b.live_read:
        return list(s.live_eps)
    positions = {e.key: n for n, e in enumerate(s.show.episodes)}
    return [i for i, _ in sorted(s.kept, key=lambda pair: positions[pair[1]])]


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
    else's and is left alone. A cached job the account does not have counts for nothing.
    An existing-audio source names its job outright: the live episode with that very audio and
    title is it, in any show, and no other is."""
    if episode.source.kind == "audio":
        return next(
            (
                e
                for e in live_eps.values()
                if e.id not in claimed
                and e.title == episode.title
                and e.mic_id == episode.source.mic_id
            ),
            None,
        )
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
