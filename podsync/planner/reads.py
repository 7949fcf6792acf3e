"""Phase one of planning: what the plan needs read from the account, decided before it runs.

The plan (phase two) is made once, from what these name: the episode listings of the shows it
may manage or adopt, and the status of the cached audio jobs whose word can decide an
episode's audio. Each is a function of what was read so far (the show listing, then those
episode listings), so `to_read` is asked once per round of reads. Both use the planner's own
rules (match_show, the lock entry a rename moves) and err on the side of one read too many.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from podsync.lock import CachedAudio, Lock, LockedEpisode
from podsync.model import Desired, Episode, Live, LiveEpisode, LiveShow, Show
from podsync.planner.renames import _renames, _source_entry
from podsync.planner.shows import ShowMatch, match_show


@dataclass(frozen=True)
class Reads:
    """Show ids whose episodes to list, and mic_ids of cached jobs whose status to ask."""

    shows: frozenset[str]
    audio: frozenset[str]


def to_read(desired: Desired, lock: Lock, live: Live) -> Reads:
    """What to read, given `live` as read so far: with the show listing alone, `shows` is the
    next round; with those shows' episodes, `audio` is the last."""
    return Reads(
        live_show_ids_to_read(desired, lock, live.shows), audio_to_verify(desired, lock, live)
    )


def live_show_ids_to_read(
    desired: Desired, lock: Lock, live_shows: Iterable[LiveShow]
) -> frozenset[str]:
    """The shows podsync manages (deleted or left behind ones included) and each manifest
    show's match: the live show it names, or the candidates to adopt by title.

    Reading only these keeps a no-change plan at 1 + (number of shows) requests."""
    listed = tuple(live_shows)
    wanted = {s.show_id for s in lock.shows.values()}
    for _, match in _matches(desired, lock, listed):
        wanted.update([match.show_id] if match.show_id else (s.show_id for s in match.titled))
    return frozenset(wanted)


def audio_to_verify(desired: Desired, lock: Lock, live: Live) -> frozenset[str]:
    """mic_ids of the cached jobs the plan may reuse or wait on, and of live audio it may
    publish again: their status is asked of the account before the plan is made, so a plan
    never promises audio that is not there. None for an episode live as podsync published it
    (a no-change plan asks nothing)."""
    mic_ids: set[str] = set()
    for show, match in _matches(desired, lock, live.shows):
        listings = (match.live,) if match.live is not None else match.titled
        live_eps = {e.id: e for s in listings for e in (s.episodes or ())}
        locked_eps = match.locked.episodes if match.locked is not None else {}
        for episode in show.episodes:
            mic_ids |= _episode_audio(episode, locked_eps, live_eps, lock.audio)
    return frozenset(m for m in mic_ids if m)


def _matches(
    desired: Desired, lock: Lock, live_shows: tuple[LiveShow, ...]
) -> Iterator[tuple[Show, ShowMatch]]:
    """Each manifest show with its match, as the plan will make it (before the plan's own
    adoptions claim more live shows, so there may be more title candidates than it uses)."""
    renames = _renames(desired, lock, {s.key for s in desired.shows})
    claimed = {s.show_id for s in lock.shows.values()} | {
        s.show_id for s in desired.shows if s.show_id
    }
    for show in desired.shows:
        yield show, match_show(show, _source_entry(show, lock, renames), live_shows, claimed)


def _episode_audio(
    episode: Episode,
    locked_eps: Mapping[str, LockedEpisode],
    live_eps: Mapping[str, LiveEpisode],
    cache: Mapping[str, CachedAudio],
) -> set[str]:
    """The audio whose status can matter to this episode's plan."""
    recorded = locked_eps.get(episode.key)
    current = live_eps.get(recorded.episode_id) if recorded is not None else None
    if episode.source.kind == "audio":
        return _existing_audio(episode, current)
    if recorded is not None and current is not None:
        return _live_episode_audio(episode, recorded, current, cache)
    found = _takeover_audio(episode, locked_eps, live_eps)
    cached = cache.get(episode.source.digest)
    if cached is not None:
        return found | _usable(cached)
    if recorded is not None and recorded.digest == episode.source.digest:
        found.add(recorded.mic_id)  # removed outside podsync: its audio may be published again
    return found


def _live_episode_audio(
    episode: Episode,
    recorded: LockedEpisode,
    current: LiveEpisode,
    cache: Mapping[str, CachedAudio],
) -> set[str]:
    """Nothing while the episode is live as podsync published it, unless a re-publish sends its
    own audio again; its source's cached job when the source (or the live audio) changed."""
    if recorded.digest == episode.source.digest and current.mic_id == recorded.mic_id:
        same = (current.title, current.description) == (episode.title, episode.description)
        return set() if same else {current.mic_id}
    cached = cache.get(episode.source.digest)
    return _usable(cached) if cached is not None else set()


def _existing_audio(episode: Episode, current: LiveEpisode | None) -> set[str]:
    """A job the manifest names outright is asked about whenever the plan may publish it:
    unless the episode is live with that very audio, title and description."""
    mic_id = episode.source.mic_id or ""
    live_as_is = current is not None and (current.mic_id, current.title, current.description) == (
        mic_id,
        episode.title,
        episode.description,
    )
    return set() if live_as_is else {mic_id}


def _takeover_audio(
    episode: Episode, locked_eps: Mapping[str, LockedEpisode], live_eps: Mapping[str, LiveEpisode]
) -> set[str]:
    """The audio of live episodes this one may adopt (same title) or take over from a renamed
    key (same source): a re-publish of either sends that audio again."""
    digest = episode.source.digest
    adopted = {e.mic_id for e in live_eps.values() if e.title == episode.title}
    renamed = {
        live_eps[r.episode_id].mic_id
        for r in locked_eps.values()
        if r.digest == digest and r.episode_id in live_eps
    }
    return adopted | renamed


def _usable(cached: CachedAudio) -> set[str]:
    """A cached job the lock already knows failed is generated again without asking."""
    return set() if cached.failed else {cached.mic_id}
