"""`podsync verify`: check what listeners actually get, not what the API said it did.

An audio job can "succeed" with a silent stub, and a feed can miss an episode the API lists. So
verify reads each managed show's feed from its ``feed_url`` (in local mode, the feed file the
embedded emulator wrote) as a podcast app would (see feed_reader.py), and checks every episode
of the manifests against it: listed exactly once, under the title podsync applied; its
enclosure answers with an audio type and more than ``MIN_AUDIO_BYTES``; unless ``audio`` is
off, the file is fetched and decodes as an MP3 whose duration is within ``DURATION_TOLERANCE``
of what was asked (a topic's ``duration_minutes``, else the feed's ``itunes:duration``); no
episode podsync did not publish carries a managed title; and the feed is newest first.

Findings are codes (Problem) with the URL that disagreed and their numbers; render/verify.py
words them. A feed the API lists that cannot be fetched is a warning (FEED_UNREADABLE), not a
failure of the run: nothing about its episodes is claimed either way. Requests run at most
``concurrency`` at a time, and the whole check within Timeouts.verify seconds.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podsync.client import ZenMicClient
from podsync.endpoint import api_endpoint, audio_file, emulator_state_dir, feed_file, local_mode
from podsync.feed_reader import Feed, FeedItem, Media, Reader, Unreadable
from podsync.lock import Lock, LockedShow
from podsync.model import Desired, Episode, LiveEpisode, LiveShow, Show
from podsync.operations import load_inputs
from podsync.timeouts import Timeouts

MIN_AUDIO_BYTES = 4096  # about a second at 32 kbit/s: far above a silent stub's few hundred bytes
DURATION_TOLERANCE = 0.2  # the decoded length may differ this much from what was asked


class Problem(str, enum.Enum):
    """What verify found wrong; the warnings (WARNINGS) do not fail the run."""

    SHOW_MISSING = "show_missing"  # the account lists no show with the lock's show_id
    NO_FEED = "no_feed"  # the API gives the show no feed_url
    FEED_UNREADABLE = "feed_unreadable"  # the feed could not be fetched
    FEED_INVALID = "feed_invalid"  # fetched, but not well-formed
    NOT_PUBLISHED = "not_published"  # in the manifests, but podsync never published it
    NOT_APPLIED = "not_applied"  # the manifest's title differs from the one applied
    MISSING = "missing"  # not in the feed
    REPEATED = "repeated"  # in the feed more than once
    TITLE = "title"  # in the feed under another title
    DUPLICATE = "duplicate"  # another item in the feed carries this episode's title
    UNREACHABLE = "unreachable"  # the enclosure does not answer, or answers an error
    NOT_AUDIO = "not_audio"  # the enclosure's type is not audio/*
    TOO_SMALL = "too_small"  # the enclosure is shorter than MIN_AUDIO_BYTES
    UNDECODABLE = "undecodable"  # fetched, but not an MP3 mutagen can read
    DURATION = "duration"  # decoded, but off by more than DURATION_TOLERANCE
    ORDER = "order"  # the feed lists an older item above a newer one
    TIMED_OUT = "timed_out"  # not checked within Timeouts.verify


WARNINGS = frozenset({Problem.FEED_UNREADABLE, Problem.NO_FEED, Problem.NOT_APPLIED})


@dataclass(frozen=True)
class Finding:
    code: Problem
    url: str = ""  # the URL that disagreed
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def warning(self) -> bool:
        return self.code in WARNINGS


@dataclass(frozen=True)
class EpisodeCheck:
    key: str
    title: str
    enclosure: str = ""
    bytes: int | None = None
    seconds: float | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(not f.warning for f in self.findings)


@dataclass(frozen=True)
class ShowCheck:
    key: str
    show_id: str | None
    feed: str | None  # the URL (or, in local mode, the file:// URL) read
    episodes: tuple[EpisodeCheck, ...] = ()
    findings: tuple[Finding, ...] = ()
    unchecked: int = 0  # the manifest's episodes left unchecked (no feed to read them in)

    @property
    def ok(self) -> bool:
        return not any(not f.warning for f in self.findings) and all(e.ok for e in self.episodes)


@dataclass(frozen=True)
class VerifyResult:
    shows: tuple[ShowCheck, ...]
    audio: bool  # the audio files were fetched and decoded

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.shows)


def verify(project: Path, *, audio: bool = True, concurrency: int = 4) -> VerifyResult:
    """Check every managed show of ``project``'s manifests against its live feed."""
    inputs = load_inputs(project)
    local = emulator_state_dir(project) if local_mode() else None
    with api_endpoint(project) as endpoint:
        return asyncio.run(
            _verify(
                inputs.desired,
                inputs.lock,
                endpoint.url,
                endpoint.api_key,
                local,
                audio,
                concurrency,
            )
        )


async def _verify(
    desired: Desired,
    lock: Lock,
    url: str,
    key: str,
    local: Path | None,
    audio: bool,
    concurrency: int,
) -> VerifyResult:
    timeouts = Timeouts.from_env()
    ends = time.monotonic() + timeouts.verify
    gate = asyncio.Semaphore(concurrency)
    managed = [s for s in desired.shows if s.key in lock.shows]
    async with ZenMicClient(url, key) as api, Reader(timeouts, local) as reader:
        live = {s.show_id: s for s in await api.list_shows()}
        tasks = [
            asyncio.ensure_future(
                _check_show(show, lock.shows[show.key], live, api, reader, gate, local, audio)
            )
            for show in managed
        ]
        if tasks:
            await asyncio.wait(tasks, timeout=max(0.0, ends - time.monotonic()))
        late = [task for task in tasks if not task.done()]
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)  # ended before the clients close
        checks = [
            _timed_out(show, lock.shows[show.key], timeouts.verify)
            if task in late
            else task.result()
            for show, task in zip(managed, tasks, strict=True)
        ]
        unpublished = [
            ShowCheck(s.key, None, None, tuple(_not_published(e) for e in s.episodes))
            for s in desired.shows
            if s.key not in lock.shows
        ]
    return VerifyResult(tuple(checks + unpublished), audio)


async def _check_show(
    show: Show,
    locked: LockedShow,
    live: Mapping[str, LiveShow],
    api: ZenMicClient,
    reader: Reader,
    gate: asyncio.Semaphore,
    local: Path | None,
    audio: bool,
) -> ShowCheck:
    found = live.get(locked.show_id)
    if found is None:
        missing = (Finding(Problem.SHOW_MISSING),)
        return ShowCheck(show.key, locked.show_id, None, (), missing, len(show.episodes))
    feed_url = found.feed_url
    if local is not None:
        feed_url = feed_file(local, locked.show_id).resolve().as_uri()
    if not feed_url:
        no_feed = (Finding(Problem.NO_FEED),)
        return ShowCheck(show.key, locked.show_id, None, (), no_feed, len(show.episodes))
    try:
        async with gate:
            episodes = await api.list_episodes(locked.show_id)
            feed = await reader.feed(feed_url)
    except Unreadable as exc:
        unreadable = Finding(Problem.FEED_UNREADABLE, feed_url, {"reason": str(exc)})
        return ShowCheck(show.key, locked.show_id, feed_url, (), (unreadable,), len(show.episodes))
    findings = [Finding(Problem.FEED_INVALID, feed_url, {"reason": feed.problem})] * bool(
        feed.problem
    )
    findings += _order(feed.items, feed_url)
    enclosures = _enclosures(locked, episodes, local)
    checks = await _gather(
        [
            _check_episode(episode, locked, enclosures, feed, reader, gate, audio)
            for episode in show.episodes
        ]
    )
    return ShowCheck(show.key, locked.show_id, feed_url, tuple(checks), tuple(findings))


async def _check_episode(
    episode: Episode,
    show: LockedShow,
    enclosures: Mapping[str, str],
    feed: Feed,
    reader: Reader,
    gate: asyncio.Semaphore,
    audio: bool,
) -> EpisodeCheck:
    record = show.episodes.get(episode.key)
    if record is None:
        return _not_published(episode)
    findings: list[Finding] = []
    if record.title != episode.title:
        findings.append(Finding(Problem.NOT_APPLIED, params={"applied": record.title}))
    expected = enclosures.get(episode.key, "")
    mine = [item for item in feed.items if expected and item.enclosure == expected]
    managed = set(enclosures.values())
    for other in feed.items:
        if other.title == record.title and other.enclosure not in managed:
            findings.append(Finding(Problem.DUPLICATE, other.enclosure, {"guid": other.guid}))
    if not mine:
        findings.append(Finding(Problem.MISSING, expected))
        return EpisodeCheck(episode.key, record.title, expected, findings=tuple(findings))
    if len(mine) > 1:
        findings.append(Finding(Problem.REPEATED, expected, {"times": len(mine)}))
    item = mine[0]
    if item.title != record.title:
        findings.append(Finding(Problem.TITLE, expected, {"listed": item.title}))
    try:
        async with gate:
            media = await reader.media(item.enclosure, fetch=audio)
    except Unreadable as exc:
        findings.append(Finding(Problem.UNREACHABLE, item.enclosure, {"reason": str(exc)}))
        return EpisodeCheck(episode.key, record.title, item.enclosure, findings=tuple(findings))
    findings += _judge(media, item, _asked_seconds(episode, item))
    return EpisodeCheck(
        episode.key, record.title, item.enclosure, media.length, media.seconds, tuple(findings)
    )


def _judge(media: Media, item: FeedItem, asked: float | None) -> list[Finding]:
    """The enclosure's answer against what a listener needs."""
    url = item.enclosure
    if media.status >= 400:
        return [Finding(Problem.UNREACHABLE, url, {"reason": f"HTTP {media.status}"})]
    found = []
    if not media.content_type.startswith("audio/"):
        found.append(Finding(Problem.NOT_AUDIO, url, {"type": media.content_type or "none"}))
    if media.length is None or media.length < MIN_AUDIO_BYTES:
        found.append(
            Finding(Problem.TOO_SMALL, url, {"bytes": media.length, "least": MIN_AUDIO_BYTES})
        )
    if not media.fetched:
        return found
    if media.seconds is None:
        found.append(Finding(Problem.UNDECODABLE, url, {"reason": media.decode_error}))
    elif asked and abs(media.seconds - asked) > DURATION_TOLERANCE * asked:
        found.append(
            Finding(
                Problem.DURATION,
                url,
                {"seconds": round(media.seconds, 1), "asked": asked, "share": DURATION_TOLERANCE},
            )
        )
    return found


def _asked_seconds(episode: Episode, item: FeedItem) -> float | None:
    """The length the manifest asks for (a topic's duration_minutes), else the feed's own."""
    minutes = episode.source.duration_minutes
    return float(minutes * 60) if minutes else item.stated_seconds


def _enclosures(
    show: LockedShow, episodes: Sequence[LiveEpisode], local: Path | None
) -> dict[str, str]:
    """key -> the enclosure URL the feed should give each published episode: the API's
    audio_url for it (in local mode, the file the emulator wrote for its audio)."""
    by_id = {e.id: e for e in episodes}
    found = {}
    for key, record in show.episodes.items():
        if local is not None:
            found[key] = audio_file(local, record.mic_id).resolve().as_uri()
        elif record.episode_id in by_id and by_id[record.episode_id].audio_url:
            found[key] = str(by_id[record.episode_id].audio_url)
    return found


def _order(items: Sequence[FeedItem], feed_url: str) -> list[Finding]:
    """Newest first, as podcast apps list a feed and as podsync's plan describes it."""
    for above, below in zip(items, items[1:], strict=False):
        if above.published and below.published and above.published < below.published:
            return [Finding(Problem.ORDER, feed_url, {"above": above.title, "below": below.title})]
    return []


def _not_published(episode: Episode) -> EpisodeCheck:
    return EpisodeCheck(episode.key, episode.title, findings=(Finding(Problem.NOT_PUBLISHED),))


def _timed_out(show: Show, locked: LockedShow, seconds: float) -> ShowCheck:
    late = Finding(Problem.TIMED_OUT, params={"seconds": seconds})
    return ShowCheck(show.key, locked.show_id, None, (), (late,), len(show.episodes))


async def _gather(checks: Sequence[Awaitable[EpisodeCheck]]) -> list[EpisodeCheck]:
    return list(await asyncio.gather(*checks))


__all__ = [
    "DURATION_TOLERANCE",
    "MIN_AUDIO_BYTES",
    "EpisodeCheck",
    "Finding",
    "Problem",
    "ShowCheck",
    "VerifyResult",
    "verify",
]
