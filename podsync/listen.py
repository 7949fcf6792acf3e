"""Where to listen to what an apply published (or a preview made): data for the renderers.

After apply, each show's feed and each new or re-published episode's audio page; after a
preview, each previewed episode's audio page. In local mode (``ZENMIC_API_URL=local``) the
embedded emulator stops with the command, so its URLs lead nowhere afterwards: the links are
then the files it wrote under ``.podsync/emulator/`` (``feeds/<show_id>.xml``, and
``audio/<mic_id>.mp3``), which open without a server.

An audio page comes from the account, never from a lock a pull request may have edited to send
a listener anywhere (as operations.steps.audio_pages): the job's status read by this plan, or
the answer the executor got for a job it submitted or waited on in this very run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podsync.endpoint import Endpoint, audio_file, emulator_state_dir, local_feed, local_mode
from podsync.errors import PodsyncError

# Only for annotations: podsync.operations loads this module for Listen, and a plan (which
# never lists what to listen to) must not pay for the executor with it.
if TYPE_CHECKING:
    from podsync.lock import Lock
    from podsync.model import Live
    from podsync.plan import Plan


@dataclass(frozen=True)
class FeedLink:
    show: str  # the show's key
    feed: str  # its feed URL, or in local mode the feed file; "" when not known


@dataclass(frozen=True)
class EpisodeLink:
    show: str
    key: str
    title: str
    page: str  # the audio page URL, or in local mode the MP3 file; "" when not known
    status: str = "ready"  # "ready", "failed" or "not_ready" (a preview's job)


@dataclass(frozen=True)
class Listen:
    feeds: tuple[FeedLink, ...] = ()
    episodes: tuple[EpisodeLink, ...] = ()
    local: bool = False  # the links are files the local emulator wrote


def after_apply(project: Path, endpoint: Endpoint, plan: Plan, live: Live, lock: Lock) -> Listen:
    """The feeds of the manifests' shows and the pages of the episodes this apply published
    (``lock`` is podsync.lock after it). Only a show created by this apply costs a request
    (the show listing, for its feed_url); if that read fails, its feed is left unnamed."""
    from podsync.executor import publishing

    files = emulator_state_dir(project) if local_mode() else None
    feeds = {s.show_id: s.feed_url or "" for s in live.shows}
    if files is None and any(s.action == "create" for s in plan.shows):
        feeds.update(_listed_feeds(endpoint))
    shows = []
    for key, show in lock.shows.items():
        shows.append(
            FeedLink(key, local_feed(project, show.show_id) or feeds.get(show.show_id, ""))
        )
    trusted = {j.digest for j in plan.audio if j.action != "reuse"}
    episodes = []
    for change in publishing(plan):
        record = lock.shows.get(change.show)
        episode = record.episodes.get(change.key) if record else None
        if episode is None or episode.digest != change.digest:
            continue  # not published (the apply stopped before it)
        job = live.jobs.get(episode.mic_id)
        cached = lock.audio.get(change.digest)
        page = job.audio_page_url if job is not None else None
        if not page and cached is not None and change.digest in trusted:
            page = cached.audio_page_url
        if files is not None:
            page = str(audio_file(files, episode.mic_id))
        episodes.append(EpisodeLink(change.show, change.key, change.title, page or ""))
    return Listen(tuple(shows), tuple(episodes), files is not None)


def after_preview(project: Path, plan: Plan, lock: Lock) -> Listen:
    """The audio page (local mode: the MP3 file) of each episode a preview made audio for;
    ``lock`` is podsync.lock after the preview, whose jobs it submitted or waited on."""
    from podsync.executor import publishing_new_audio

    files = emulator_state_dir(project) if local_mode() else None
    episodes = []
    for change in publishing_new_audio(plan):
        cached = lock.audio.get(change.digest or "")
        if cached is not None and cached.succeeded:
            page = cached.audio_page_url or ""
            if files is not None:
                page = str(audio_file(files, cached.mic_id))
            status = "ready"
        else:
            page, status = "", "failed" if cached is not None and cached.failed else "not_ready"
        episodes.append(EpisodeLink(change.show, change.key, change.title or "", page, status))
    return Listen((), tuple(episodes), files is not None)


def _listed_feeds(endpoint: Endpoint) -> dict[str, str]:
    import asyncio

    from podsync.client import ZenMicClient

    async def read() -> dict[str, str]:
        async with ZenMicClient(endpoint.url, endpoint.api_key) as client:
            return {s.show_id: s.feed_url or "" for s in await client.list_shows()}

    try:
        return asyncio.run(read())
    except PodsyncError:
        return {}
