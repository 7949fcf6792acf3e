"""Which audio job a source gets: generate it, wait on the job already submitted, or reuse it."""

from __future__ import annotations

from collections.abc import Mapping

from podsync.lock import CachedAudio, LockedEpisode
from podsync.model import AUDIO_SUCCEEDED, AUDIO_UNSUCCESSFUL, Episode, Show
from podsync.plan import AudioJob, GenerateAudio, ResumeAudio, ReuseAudio


def _audio_job(
    cache: Mapping[str, CachedAudio],
    live_audio: Mapping[str, str],
    show: Show,
    episode: Episode,
    published: LockedEpisode | None = None,
) -> AudioJob:
    """Generate, resume or reuse the audio for this source, trusting the account's word on
    a job's status over the lock's (the lock may come from another account). Audio the
    lock records as published for this very source counts as cached."""
    digest = episode.source.digest
    cached = cache.get(digest)
    if cached is None and published is not None and published.digest == digest:
        cached = CachedAudio(published.mic_id, AUDIO_SUCCEEDED)
    status = live_audio.get(cached.mic_id, cached.status) if cached else None
    fields = (digest, show.key, episode.key, episode.title, episode.source)
    if cached is None or status in AUDIO_UNSUCCESSFUL:
        return GenerateAudio(*fields)
    if status == AUDIO_SUCCEEDED:
        return ReuseAudio(*fields, cached.mic_id)
    return ResumeAudio(*fields, cached.mic_id)
