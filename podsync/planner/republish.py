"""Replacing a live episode: re-publish, the old versions a re-publish leaves, and
finishing one whose run stopped half-way."""

from __future__ import annotations

from collections.abc import Mapping

from podsync.applied_source import AppliedSource
from podsync.field_diff import live_changes
from podsync.lock import LockedEpisode, LockedShow
from podsync.model import Episode, LiveEpisode, Show
from podsync.plan import (
    AddEpisode,
    AdoptEpisode,
    FieldChange,
    GuardCode,
    Reason,
    RemoveEpisode,
    ReplaceEpisode,
)
from podsync.planner.builder import _Builder
from podsync.planner.reasons import _differing, _why_changed


def _plan_retired(
    b: _Builder,
    show: Show,
    locked: LockedShow | None,
    live_eps: Mapping[str, LiveEpisode],
    claimed: set[str],
) -> None:
    """Remove the old versions of re-published episodes that are still live: a re-publish adds
    the new version first, and the run that did stopped, or failed to remove the old one.
    The lock records them, so the plan says podsync re-published them, not that someone did."""
    for episode_id, key in sorted((locked.retired if locked else {}).items()):
        old = live_eps.get(episode_id)
        if old is None:
            continue  # apply forgets the record
        claimed.add(episode_id)
        if not b.hold_back("remove_old_version", show.key, key):
            b.removals.append(_removal(show, key, old, Reason.REPUBLISHED_OLD_VERSION))


def _unrecorded_republish(
    b: _Builder,
    show: Show,
    episode: Episode,
    recorded: LockedEpisode,
    current: LiveEpisode,
    live_eps: Mapping[str, LiveEpisode],
    claimed: set[str],
) -> LiveEpisode | None:
    """The new version of a re-publish whose run stopped between adding it and recording it:
    an unclaimed live episode that is exactly what the manifest asks for (title, description,
    and the audio podsync has for this source), beside the recorded one that is not."""
    digest = episode.source.digest
    if (current.title, current.description) == (episode.title, episode.description) and (
        recorded.digest == digest
    ):
        return None  # nothing to re-publish: another episode like it is someone else's
    cached = b.lock.audio.get(digest)
    audio = {cached.mic_id} if cached is not None and cached.succeeded else set()
    if recorded.digest == digest:
        audio.add(current.mic_id)
    for live_episode in live_eps.values():
        if (
            live_episode.id not in claimed
            and live_episode.id != current.id
            and live_episode.mic_id in audio
            and (live_episode.title, live_episode.description)
            == (episode.title, episode.description)
            and not b.hold_back("remove_old_version", show.key, episode.key)
        ):
            return live_episode
    return None


def _finish_republish(
    b: _Builder,
    show: Show,
    episode: Episode,
    position: int,
    added: LiveEpisode,
    old: LiveEpisode,
) -> None:
    """Record the new version of an interrupted re-publish and remove the old one."""
    b.episodes.append(
        AdoptEpisode(
            show.key,
            episode.key,
            Reason.REPUBLISH_UNRECORDED,
            position,
            added.title,
            added.description,
            episode.source.digest,
            added.id,
            added.mic_id,
        )
    )
    b.removals.append(_removal(show, episode.key, old, Reason.REPUBLISHED_OLD_VERSION))


def _removal(show: Show, key: str, live_episode: LiveEpisode, reason: Reason) -> RemoveEpisode:
    return RemoveEpisode(
        show.key, key, reason, live_episode.title, live_episode.id, live_episode.mic_id
    )


def _plan_published(
    b: _Builder,
    show: Show,
    episode: Episode,
    position: int,
    recorded: LockedEpisode,
    current: LiveEpisode,
) -> bool:
    """An episode podsync published that is still live: keep it (False), or re-publish or
    replace it (True)."""
    digest = episode.source.digest
    regenerate = b.regenerating(show, episode)
    # an audio source naming the very job the episode was published with: the same audio
    pinned = episode.source.kind == "audio" and episode.source.mic_id == recorded.mic_id
    source_changed = (recorded.digest != digest and not pinned) or current.mic_id != recorded.mic_id
    before = _differing(current, episode)
    if not source_changed and not before and not regenerate:
        return False
    if source_changed:
        reason = Reason.SOURCE_CHANGED if recorded.digest != digest else Reason.DRIFT_AUDIO_SWAPPED
    elif regenerate:
        reason = Reason.REGENERATE_ASKED
    else:
        reason = _why_changed(before, recorded, episode)
    if b.hold_back("replace_episode", show.key, episode.key, reason=reason.value):
        return False
    new_audio = source_changed or regenerate
    if new_audio:
        b.need_audio(show, episode, live_mic=current.mic_id)
    protected_by = "manifest" if episode.protect else "lock" if recorded.protected else None
    _republish(
        b,
        show,
        episode,
        position,
        current,
        reason,
        not new_audio,
        protected_by,
        recorded.digest,
        recorded.source,
    )
    return True


def _republish(
    b: _Builder,
    show: Show,
    episode: Episode,
    position: int,
    current: LiveEpisode,
    reason: Reason,
    same_audio: bool,
    protected_by: str | None = None,
    recorded_digest: str | None = None,
    recorded_source: AppliedSource | None = None,
) -> None:
    """A replace: publish the manifest's episode, then remove the live one. `protected_by`
    names where `protect: true` comes from, if anywhere: then apply refuses it."""
    if protected_by is not None:
        b.guard(
            GuardCode.PROTECTED_REPUBLISH,
            show.key,
            episode.key,
            protected_in=protected_by,
            reason=reason.value,
        )
    if same_audio:
        b.reuse_published(show, episode, current.mic_id)
    changes = live_changes(current, episode, recorded_digest, recorded_source)
    b.episodes.append(_publishing(show, episode, position, reason, current, same_audio, changes))


def _publishing(
    show: Show,
    episode: Episode,
    position: int,
    reason: Reason,
    replacing: LiveEpisode | None = None,
    republish: bool = False,
    changes: tuple[FieldChange, ...] = (),
) -> AddEpisode | ReplaceEpisode:
    """An add, or with `replacing` a replace, that publishes `episode` as the manifest says."""
    fields = (show.key, episode.key, reason, position, episode.title, episode.description)
    if replacing is None:
        return AddEpisode(*fields, episode.source.digest)
    return ReplaceEpisode(
        *fields, episode.source.digest, replacing.id, replacing.mic_id, republish, changes
    )
