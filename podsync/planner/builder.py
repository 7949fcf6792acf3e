"""The accumulator every part of the planner writes one plan into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from podsync.lock import Lock, LockedEpisode
from podsync.model import Episode, Show
from podsync.plan import (
    AudioJob,
    EpisodeChange,
    Forget,
    GenerateAudio,
    Guard,
    GuardCode,
    ReuseAudio,
    ShowChange,
    Unmanaged,
    Warning,
    WarningCode,
)
from podsync.planner.audio import _audio_job
from podsync.planner.existing import existing_audio


@dataclass
class _Builder:
    """Accumulates one plan; audio jobs are deduplicated by digest (one job per source)."""

    lock: Lock
    live_audio: Mapping[str, str]
    no_delete: bool = False
    live_read: bool = True  # False: `live` is the lock's record (an offline plan)
    shows: list[ShowChange] = field(default_factory=list)
    audio: dict[str, AudioJob] = field(default_factory=dict)
    episodes: list[EpisodeChange] = field(default_factory=list)
    removals: list[EpisodeChange] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    forget: list[Forget] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    protect: list[tuple[str, str | None, bool]] = field(default_factory=list)
    held_back: list[dict[str, object]] = field(default_factory=list)
    regenerate: frozenset[str] = frozenset()  # "show/episode": a new take asked for

    def guard(
        self, code: GuardCode, show: str, episode: str | None = None, **params: object
    ) -> None:
        """Record why apply must refuse this plan."""
        self.guards.append(Guard(code, show, episode, params))

    def warn(
        self,
        code: WarningCode,
        show: str | None = None,
        episode: str | None = None,
        **params: object,
    ) -> None:
        self.warnings.append(Warning(code, show, episode, params))

    def hold_back(self, change: str, show: str, episode: str | None = None, **more: object) -> bool:
        """With --no-delete, leave out a change that removes something live (and say so):
        `change` is remove_episode, remove_old_version, replace_episode or delete_show."""
        if self.no_delete:
            self.held_back.append({"change": change, "show": show, "episode": episode, **more})
        return self.no_delete

    def record_protect(self, show: str, episode: str | None, wanted: bool, recorded: bool) -> None:
        """Have apply write `protect:` into the lock when the record it will hold differs."""
        if wanted != recorded:
            self.protect.append((show, episode, wanted))

    def need_audio(
        self,
        show: Show,
        episode: Episode,
        published: LockedEpisode | None = None,
        live_mic: str | None = None,
    ) -> None:
        """The audio for this source (see _audio_job), once per source. A regenerate asked
        for gets a new job, unless the cache holds a take other than the live one (`live_mic`),
        made since by `apply --preview --regenerate`: that one is published."""
        if episode.source.digest in self.audio:
            return
        if episode.source.kind == "audio":
            self.add_job(existing_audio(show, episode, self.live_audio))
            return
        job = _audio_job(self.lock.audio, self.live_audio, show, episode, published)
        if self.regenerating(show, episode) and getattr(job, "mic_id", live_mic) == live_mic:
            job = GenerateAudio(job.digest, job.show, job.episode, job.title, job.source)
        if isinstance(job, GenerateAudio):
            self.warn_unconfirmed(show, episode)
        self.add_job(job)

    def regenerating(self, show: Show, episode: Episode) -> bool:
        return f"{show.key}/{episode.key}" in self.regenerate

    def warn_unconfirmed(self, show: Show, episode: Episode) -> None:
        unconfirmed = self.lock.unconfirmed.get(episode.source.digest)
        if unconfirmed is not None:
            self.warn(
                WarningCode.UNCONFIRMED_AUDIO,
                show.key,
                episode.key,
                at=unconfirmed.at,
                request=unconfirmed.request,
            )

    def reuse_published(self, show: Show, episode: Episode, mic_id: str) -> None:
        """A re-publish needs no job: the live episode's own audio is published again."""
        digest = episode.source.digest
        job = ReuseAudio(digest, show.key, episode.key, episode.title, episode.source, mic_id)
        self.add_job(job)

    def add_job(self, job: AudioJob) -> None:
        self.audio.setdefault(job.digest, job)
