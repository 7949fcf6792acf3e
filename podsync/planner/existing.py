"""Audio that was in the account before podsync: `source: {audio: <mic_id>}`."""

from __future__ import annotations

from collections.abc import Mapping

from podsync.errors import PlanError
from podsync.model import AUDIO_MISSING, AUDIO_SUCCEEDED, AUDIO_UNSUCCESSFUL, Episode, Show
from podsync.plan import ExistingAudio


def existing_audio(show: Show, episode: Episode, live_audio: Mapping[str, str]) -> ExistingAudio:
    """Publish the job as it is; nothing is generated or paid for. The read phase asks the
    account for its status (every non-generated job of a first plan is asked), and a job that
    is missing, failed or unfinished stops the plan: there is no audio to publish, and no other
    source to make it from. Before the read (and in an offline plan) the status is unknown."""
    mic_id = episode.source.mic_id or ""
    status = live_audio.get(mic_id)
    if status is not None and status != AUDIO_SUCCEEDED:
        raise PlanError(_problem(show, episode, mic_id, status))
    return ExistingAudio(
        episode.source.digest, show.key, episode.key, episode.title, episode.source, mic_id
    )


def _problem(show: Show, episode: Episode, mic_id: str, status: str) -> str:
    where = f"{episode.location}: " if episode.location else ""
    head = (
        f"{where}episode '{show.key}/{episode.key}' publishes existing audio {mic_id}, but "
        f"GET /audios/{mic_id} "
    )
    if status == AUDIO_MISSING:
        return head + "answered 404: the account has no such job; check the mic_id"
    if status in AUDIO_UNSUCCESSFUL:
        return (
            head + f"says the job {status}: it has no audio to publish; give the episode "
            "another source (a topic, document or dialogue)"
        )
    return head + f"says the job is still {status}: plan again once it has succeeded"
