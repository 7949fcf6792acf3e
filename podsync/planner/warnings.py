"""The warnings the plan carries about what it leaves alone or cannot do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from podsync.lock import LockedShow
from podsync.model import Live, LiveEpisode, LiveShow, Show
from podsync.plan import (
    AddEpisode,
    DeleteShow,
    GenerateAudio,
    Reason,
    ReplaceEpisode,
    Warning,
    WarningCode,
)
from podsync.planner.builder import _Builder


def _acknowledged(warning: Warning, acknowledge: frozenset[tuple[str, str]]) -> Warning:
    """The warning, marked acknowledged when podsync.yaml acknowledges its code for its show."""
    if warning.show is not None and (warning.show, warning.code.value) in acknowledge:
        return replace(warning, acknowledged=True)
    return warning


def _warn_left_behind(b: _Builder, show: Show, own: LockedShow, live: Live) -> None:
    left = live.show(own.show_id)
    if left is not None:
        b.warn(
            WarningCode.SHOW_LEFT_BEHIND,
            show.key,
            old_show_id=own.show_id,
            show_id=show.show_id,
            episodes=len(left.episodes or ()),
        )


def _hint_at_renames(b: _Builder) -> None:
    created = [c.key for c in b.shows if c.action == "create" and c.reason is Reason.NEW]
    deleted = [{"show": c.key, "show_id": c.show_id} for c in b.shows if isinstance(c, DeleteShow)]
    if created and deleted:
        b.warn(WarningCode.RENAME_HINT, created=created, deleted=deleted)


def _warn_about_duplicate_shows(
    b: _Builder, managed: list[tuple[Show, LiveShow]], live: Live, claimed: set[str]
) -> None:
    """A live show podsync does not manage, titled like one it does, may be a second copy made
    by a create whose answer was lost: name it, since nothing else in the plan would."""
    for show, live_show in managed:
        titles = {show.title, live_show.title}
        for other in live.shows:
            if other.show_id not in claimed and other.title in titles:
                b.warn(
                    WarningCode.DUPLICATE_SHOW,
                    show.key,
                    title=other.title,
                    show_id=other.show_id,
                )


def _warn_about_duplicate_episodes(
    b: _Builder, show: Show, live_eps: Mapping[str, LiveEpisode], claimed: set[str]
) -> None:
    """The same for an episode in a managed show: one podsync does not manage, with the title
    or the audio (mic_id) of one it does, or with the audio this plan is about to publish (a
    lost lock record: apply would put that audio on the feed twice)."""
    mine = [live_eps[i] for i in claimed if i in live_eps]
    titles = {e.title for e in show.episodes} | {e.title for e in mine}
    mic_ids = {e.mic_id for e in mine if e.mic_id}
    publishing = {
        j.mic_id: j.episode
        for j in b.audio.values()
        if j.show == show.key and not isinstance(j, GenerateAudio) and j.mic_id
    }
    for other in live_eps.values():
        if other.id in claimed:
            continue
        if other.title in titles or other.mic_id in mic_ids:
            b.warn(
                WarningCode.DUPLICATE_EPISODE,
                show.key,
                title=other.title,
                episode_id=other.id,
            )
        elif other.mic_id in publishing:
            b.warn(
                WarningCode.DUPLICATE_AUDIO,
                show.key,
                publishing[other.mic_id],
                title=other.title,
                episode_id=other.id,
                mic_id=other.mic_id,
            )


def _warn_about_order(
    b: _Builder, show: Show, live_order: list[str], kept: list[tuple[str, str]]
) -> None:
    """ZenMic appends every added episode to the feed, so apply can only keep manifest order
    for episodes it publishes; say so when the feed will not follow the manifest."""
    index = {episode_id: n for n, episode_id in enumerate(live_order)}
    published = [key for _, key in sorted(kept, key=lambda pair: index[pair[0]])]
    publishing = sorted(
        (
            c
            for c in b.episodes
            if c.show == show.key and isinstance(c, (AddEpisode, ReplaceEpisode))
        ),
        key=lambda c: c.position,
    )
    after = published + [c.key for c in publishing if c.key not in published]
    wanted = [e.key for e in show.episodes if e.key in after]
    if after != wanted:
        # a plan that publishes nothing here leaves the feed as it is: say so only if asked
        changed = bool(publishing)
        b.warn(WarningCode.FEED_ORDER, show.key, order=after, wanted=wanted, changed=changed)
