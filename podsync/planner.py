"""plan(desired, lock, live) -> Plan: the one place that decides what apply will do.

Pure: no I/O, no clock, inputs never mutated. Everything clever lives here so it can be
tested with plain objects: drift repair, adoption, audio reuse, publishing order, and what to
leave alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from podsync.errors import PlanError
from podsync.lock import Lock, LockedEpisode, LockedShow
from podsync.model import Desired, Episode, Live, LiveEpisode, LiveShow, Show
from podsync.plan import AudioJob, EpisodeChange, Plan, ShowChange, Unmanaged

DRIFT = "drift: changed outside podsync"


@dataclass
class _Builder:
    """Accumulates one plan; audio jobs are deduplicated by digest (one job per source)."""

    shows: list[ShowChange]
    audio: dict[str, AudioJob]
    episodes: list[EpisodeChange]
    removals: list[EpisodeChange]
    unmanaged: list[Unmanaged]
    warnings: list[str]
    forget: list[tuple[str, str | None]]

    def need_audio(self, lock: Lock, show: Show, episode: Episode) -> None:
        digest = episode.source.digest
        if digest in self.audio:
            return
        cached = lock.audio.get(digest)
        if cached is None or cached.failed:
            action, mic_id = "generate", None
        elif cached.succeeded:
            action, mic_id = "reuse", cached.mic_id
        else:
            action, mic_id = "resume", cached.mic_id
        self.audio[digest] = AudioJob(
            action=action,
            digest=digest,
            show=show.key,
            episode=episode.key,
            title=episode.title,
            source=episode.source,
            mic_id=mic_id,
        )

    def reuse_published(self, show: Show, episode: Episode, mic_id: str) -> None:
        digest = episode.source.digest
        if digest not in self.audio:
            self.audio[digest] = AudioJob(
                "reuse", digest, show.key, episode.key, episode.title, episode.source, mic_id
            )


def live_show_ids_to_read(desired: Desired, lock: Lock, live_shows: Iterable[LiveShow]) -> set[str]:
    """Which live shows' episodes the planner needs: the managed ones and adoption candidates.

    Reading only these keeps a no-change plan at 1 + (number of shows) requests."""
    live_list = list(live_shows)
    wanted = {s.show_id for s in lock.shows.values()}
    claimed = set(wanted)
    for show in desired.shows:
        if show.show_id:
            wanted.add(show.show_id)
        elif show.key not in lock.shows:
            wanted.update(
                s.show_id for s in live_list if s.title == show.title and s.show_id not in claimed
            )
    return wanted


def plan(desired: Desired, lock: Lock, live: Live) -> Plan:
    """Compare the three inputs and return every change apply must make, in apply's order."""
    b = _Builder([], {}, [], [], [], [], [])
    claimed = {s.show_id for s in lock.shows.values()}
    for show in desired.shows:
        locked = lock.shows.get(show.key)
        live_show, locked = _plan_show(b, show, locked, live, claimed)
        if live_show is not None:
            claimed.add(live_show.show_id)
        _plan_episodes(b, lock, show, locked, live_show, live)
    desired_keys = {s.key for s in desired.shows}
    for key, locked_show in sorted(lock.shows.items()):
        if key in desired_keys:
            continue
        live_show = live.show(locked_show.show_id)
        if live_show is None:
            b.forget.append((key, None))
            continue
        count = len(live_show.episodes or ())
        b.shows.append(
            ShowChange(
                "delete",
                key,
                live_show.show_id,
                "manifest removed",
                before={"title": live_show.title, "description": live_show.description},
            )
        )
        b.warnings.append(
            f"show '{key}' ({live_show.show_id}, {count} episodes) will be DELETED from the "
            "account: its manifest was removed; apply refuses this without --allow-destroy"
        )
    return Plan(
        shows=tuple(b.shows),
        audio=tuple(j for j in b.audio.values()),
        episodes=tuple(b.episodes + b.removals),
        unmanaged=tuple(b.unmanaged),
        warnings=tuple(b.warnings),
        live_read=live.read,
        forget=tuple(b.forget),
    )


def _plan_show(
    b: _Builder, show: Show, locked: LockedShow | None, live: Live, claimed: set[str]
) -> tuple[LiveShow | None, LockedShow | None]:
    """Decide create / adopt / update for one show; returns its live show and usable lock entry."""
    live_show: LiveShow | None = None
    if show.show_id:
        live_show = live.show(show.show_id)
        if live_show is None:
            raise PlanError(
                f"{show.location or show.key}: show_id '{show.show_id}' is not in the account "
                "(remove show_id to create the show)"
            )
        if locked is None or locked.show_id != show.show_id:
            b.shows.append(_adopt(show, live_show, "show_id set in the manifest"))
            locked = None
    elif locked is not None:
        live_show = live.show(locked.show_id)
        if live_show is None:
            b.shows.append(
                ShowChange(
                    "create",
                    show.key,
                    None,
                    "drift: deleted outside podsync",
                    show.title,
                    show.description,
                )
            )
            return None, None
    else:
        same_title = [s for s in live.shows if s.title == show.title and s.show_id not in claimed]
        if len(same_title) > 1:
            ids = ", ".join(s.show_id for s in same_title)
            raise PlanError(
                f"{show.location or show.key}: {len(same_title)} live shows are titled "
                f"'{show.title}' ({ids}) and podsync.lock records none of them; add "
                f"`show_id: <one of them>` to the manifest to adopt it"
            )
        if not same_title:
            b.shows.append(
                ShowChange("create", show.key, None, "new", show.title, show.description)
            )
            return None, None
        live_show = same_title[0]
        b.shows.append(_adopt(show, live_show, "a live show has this title"))
    before = {
        field: getattr(live_show, field)
        for field in ("title", "description")
        if getattr(live_show, field) != getattr(show, field)
    }
    if before:
        b.shows.append(
            ShowChange(
                "update",
                show.key,
                live_show.show_id,
                _why_changed(before, locked, show),
                show.title,
                show.description,
                before=before,
            )
        )
    return live_show, locked


def _adopt(show: Show, live_show: LiveShow, why: str) -> ShowChange:
    return ShowChange(
        "adopt", show.key, live_show.show_id, why, live_show.title, live_show.description
    )


def _why_changed(before: dict[str, str], recorded: object, wanted: object) -> str:
    """'title changed' when the manifest moved away from what podsync last applied; drift when
    the manifest still says what podsync applied but the live value differs."""
    if recorded is None:
        return " and ".join(f"{f} differs" for f in before)
    edited = [f for f in before if getattr(recorded, f) != getattr(wanted, f)]
    return " and ".join(f"{f} changed" for f in edited) if edited else DRIFT


def _plan_episodes(
    b: _Builder,
    lock: Lock,
    show: Show,
    locked: LockedShow | None,
    live_show: LiveShow | None,
    live: Live,
) -> None:
    locked_eps = locked.episodes if locked is not None else {}
    live_eps = {e.id: e for e in (live_show.episodes or ())} if live_show is not None else {}
    claimed = {e.episode_id for e in locked_eps.values() if e.episode_id in live_eps}
    for position, episode in enumerate(show.episodes):
        recorded = locked_eps.get(episode.key)
        current = live_eps.get(recorded.episode_id) if recorded else None
        if recorded is not None and current is not None:
            _plan_published(b, lock, show, episode, position, recorded, current)
            continue
        adoptable = _adoptable(lock, episode, live_eps, claimed)
        if adoptable is not None:
            claimed.add(adoptable.id)
            b.episodes.append(
                EpisodeChange(
                    "adopt",
                    show.key,
                    episode.key,
                    "a live episode has this title; its audio is taken as this source's",
                    position,
                    episode.title,
                    episode.description,
                    episode.source.digest,
                    adoptable.id,
                    adoptable.mic_id,
                )
            )
            continue
        reason = "drift: removed outside podsync" if recorded is not None else "new"
        b.need_audio(lock, show, episode)
        b.episodes.append(
            EpisodeChange(
                "add",
                show.key,
                episode.key,
                reason,
                position,
                episode.title,
                episode.description,
                episode.source.digest,
            )
        )
    desired_keys = {e.key for e in show.episodes}
    for key, recorded in sorted(locked_eps.items()):
        current = live_eps.get(recorded.episode_id)
        if key in desired_keys:
            continue
        if current is None:
            b.forget.append((show.key, key))
            continue
        b.removals.append(
            EpisodeChange(
                "remove",
                show.key,
                key,
                "removed from the manifest",
                title=current.title,
                episode_id=current.id,
                mic_id=current.mic_id,
            )
        )
    for live_episode in live_eps.values():
        if live_episode.id not in claimed:
            b.unmanaged.append(Unmanaged(show.key, live_episode.id, live_episode.title))


def _plan_published(
    b: _Builder,
    lock: Lock,
    show: Show,
    episode: Episode,
    position: int,
    recorded: LockedEpisode,
    current: LiveEpisode,
) -> None:
    """An episode podsync published that is still live: keep it, re-publish it, or replace it."""
    digest = episode.source.digest
    source_changed = recorded.digest != digest or current.mic_id != recorded.mic_id
    before = {
        field: getattr(current, field)
        for field in ("title", "description")
        if getattr(current, field) != getattr(episode, field)
    }
    if not source_changed and not before:
        return
    if source_changed:
        reason = "source changed" if recorded.digest != digest else DRIFT + " (audio swapped)"
        b.need_audio(lock, show, episode)
    else:
        reason = _why_changed(before, recorded, episode)
        b.reuse_published(show, episode, recorded.mic_id)
    b.episodes.append(
        EpisodeChange(
            "replace",
            show.key,
            episode.key,
            reason,
            position,
            episode.title,
            episode.description,
            digest,
            current.id,
            current.mic_id,
            republish=not source_changed,
        )
    )
    b.warnings.append(
        f"episode '{show.key}/{episode.key}' is re-published ({reason}): it is removed and added "
        "again, so it moves to the top of the feed"
    )


def _adoptable(
    lock: Lock, episode: Episode, live_eps: dict[str, LiveEpisode], claimed: set[str]
) -> LiveEpisode | None:
    """A live episode podsync has no record of but that is evidently this one.

    Either its audio is the job the cache holds for this source (an add whose answer was lost),
    or the cache knows no audio for this source and the title matches (a lost lock). Adopting
    instead of adding never publishes an episode twice and never pays for audio again."""
    cached = lock.audio.get(episode.source.digest)
    for live_episode in live_eps.values():
        if live_episode.id in claimed or live_episode.title != episode.title:
            continue
        if cached is None or (cached.succeeded and cached.mic_id == live_episode.mic_id):
            return live_episode
    return None
